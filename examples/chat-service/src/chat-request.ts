import type { Content } from '@google/genai';

/** One earlier turn of the conversation, as the client sends it. */
export interface ChatTurn {
  role: 'user' | 'model';
  text: string;
}

/** The body of `POST /chat`. */
export interface ChatRequestBody {
  /** The user's new message. */
  message: string;
  /** Earlier turns, oldest first. */
  history?: ChatTurn[];
  /** One of the latency lane's models; default its first. */
  model?: string;
}

/** A request the service can send, or why the body is not one (a 400 for the client). */
export type ParsedChatRequest =
  | { ok: true; model: string; contents: Content[] }
  | { ok: false; problem: string };

/** Longest message or history turn accepted, in characters. */
export const MAX_TEXT_CHARS = 32_000;
/** Most history turns accepted. */
export const MAX_HISTORY_TURNS = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textProblem(value: unknown, field: string): string | undefined {
  if (typeof value !== 'string' || value.trim() === '')
    return `${field} must be a non-empty string`;
  if (value.length > MAX_TEXT_CHARS) {
    return `${field} must be at most ${MAX_TEXT_CHARS} characters (got ${value.length})`;
  }
  return undefined;
}

/**
 * Checks a `POST /chat` body and turns it into the contents of a Gemini request; every problem
 * names the field, so the client can fix it. `models` are the ones the service may call.
 */
export function parseChatRequest(body: unknown, models: readonly string[]): ParsedChatRequest {
  if (!isRecord(body)) return { ok: false, problem: 'the body must be a JSON object' };
  const messageProblem = textProblem(body.message, 'message');
  if (messageProblem !== undefined) return { ok: false, problem: messageProblem };
  const model = body.model ?? models[0];
  if (typeof model !== 'string' || !models.includes(model)) {
    return { ok: false, problem: `model must be one of ${models.join(', ')}` };
  }
  const history = body.history ?? [];
  if (!Array.isArray(history) || history.length > MAX_HISTORY_TURNS) {
    return { ok: false, problem: `history must be an array of at most ${MAX_HISTORY_TURNS} turns` };
  }
  const contents: Content[] = [];
  for (const [index, turn] of history.entries()) {
    if (!isRecord(turn) || (turn.role !== 'user' && turn.role !== 'model')) {
      return { ok: false, problem: `history[${index}].role must be "user" or "model"` };
    }
    const problem = textProblem(turn.text, `history[${index}].text`);
    if (problem !== undefined) return { ok: false, problem };
    contents.push({ role: turn.role, parts: [{ text: turn.text as string }] });
  }
  contents.push({ role: 'user', parts: [{ text: body.message as string }] });
  return { ok: true, model, contents };
}
