/**
 * Input tokens of a request, estimated before it is sent so the quota limiter can debit the
 * input-TPM bucket up front: about four characters of text per token (Gemini's documented rule
 * of thumb), counted over the request's contents and system instruction. The estimate is
 * corrected by the response's `promptTokenCount` afterwards, so it only needs to be close.
 */
export function estimateInputTokens(request: {
  contents?: unknown;
  config?: { systemInstruction?: unknown } | undefined;
}): number {
  const chars = textLength(request.contents) + textLength(request.config?.systemInstruction);
  return Math.max(1, Math.ceil(chars / 4));
}

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) {
    let total = 0;
    for (const item of value) total += textLength(item);
    return total;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    // Media parts are billed per item, not per byte of their base64: count a flat 258 tokens.
    if ('inlineData' in record || 'fileData' in record) return 258 * 4;
    let total = 0;
    for (const key of ['text', 'parts', 'functionCall', 'functionResponse']) {
      const child = record[key];
      if (child === undefined) continue;
      total +=
        key === 'functionCall' || key === 'functionResponse'
          ? JSON.stringify(child).length
          : textLength(child);
    }
    return total;
  }
  return 0;
}
