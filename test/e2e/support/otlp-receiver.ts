import { listenLocal, readText } from './local-http-server.ts';

/** An attribute value as OTLP/JSON carries it, decoded. */
export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** A span as the receiver decoded it from OTLP/HTTP JSON. */
export interface ReceivedSpan {
  name: string;
  /** OTLP `SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  scope: string;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        name: string;
        kind?: number;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: KeyValue[];
        status?: { code?: number };
      }>;
    }>;
  }>;
}

function decode(value: AnyValue | undefined): AttributeValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  // OTLP/JSON writes 64-bit integers as strings; some exporters send numbers.
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  return null;
}

function attributes(list: KeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) out[key] = decode(value);
  return out;
}

/** A local OTLP/HTTP trace receiver: what spans a service exported, and the raw bodies. */
export interface OtlpReceiver {
  readonly url: string;
  /** `<url>/v1/traces`, for the exporter's `url` option. */
  readonly tracesUrl: string;
  readonly spans: readonly ReceivedSpan[];
  /** Every request body as received, for checks that no secret left the process. */
  readonly rawBodies: readonly string[];
  close(): Promise<void>;
}

/**
 * Receives OTLP/HTTP JSON on `POST /v1/traces` (what `register()`'s exporter sends), answers
 * 200 with an empty `ExportTraceServiceResponse` and keeps every span. Protobuf bodies are
 * refused with 415 so a change of encoding fails loudly instead of losing spans.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rawBodies: string[] = [];
  const server = await listenLocal(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'POST' || path !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    if (!String(request.headers['content-type'] ?? '').includes('json')) {
      response.writeHead(415, { 'content-type': 'text/plain' }).end('OTLP/JSON only');
      return;
    }
    const text = await readText(request);
    rawBodies.push(text);
    const body = JSON.parse(text) as ExportTraceServiceRequest;
    for (const resourceSpans of body.resourceSpans ?? []) {
      const resource = attributes(resourceSpans.resource?.attributes);
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          spans.push({
            name: span.name,
            kind: span.kind ?? 0,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            attributes: attributes(span.attributes),
            resource,
            scope: scopeSpans.scope?.name ?? '',
            statusCode: span.status?.code ?? 0,
          });
        }
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return {
    url: server.url,
    tracesUrl: `${server.url}/v1/traces`,
    spans,
    rawBodies,
    close: () => server.close(),
  };
}
