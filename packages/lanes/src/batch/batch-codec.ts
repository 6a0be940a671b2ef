import { GoogleGenAI, type InlinedRequest, type InlinedResponse } from '@google/genai';

/** Never resolved or contacted: the codec's client answers its own requests. */
const OFFLINE_URL = 'http://batch-codec.invalid';
const CREATE_PATH = /\/models\/[^/]+:batchGenerateContent$/;
const GET_PATH = /\/(batches\/codec-\d+)$/;

/** One request of a batch as the REST API takes it: a Files-API input line without its key. */
export interface RestInlinedRequest {
  request: Record<string, unknown>;
  metadata?: Record<string, string>;
}

/** What the codec's client sent (a create) or should receive (a get). */
interface Exchange {
  sent?: { requests: RestInlinedRequest[]; bytes: number };
  receive?: unknown[];
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * The Batch API's wire format, from `@google/genai` itself. The SDK turns an inlined request
 * (`contents` in any of its shorthand forms, `config`) into a REST `GenerateContentRequest`, and a
 * REST response into its `GenerateContentResponse`, with converters it does not export. A client
 * of the codec's own, whose `fetch` answers in-process and never touches the network, runs them
 * through public methods: `batches.create` hands over the body it would send, `batches.get`
 * parses the operation it is given. So a Files-API input line is exactly what an inline batch
 * would carry, and a results-file line decodes to exactly what an inline batch returns.
 */
export class BatchCodec {
  readonly #ai: GoogleGenAI;
  readonly #exchanges = new Map<string, Exchange>();
  #next = 0;

  constructor() {
    this.#ai = new GoogleGenAI({
      // The Gemini API's encoding, whatever GOOGLE_GENAI_USE_VERTEXAI says.
      vertexai: false,
      apiKey: 'offline',
      httpOptions: {
        baseUrl: OFFLINE_URL,
        apiVersion: 'v1beta',
        fetch: (input, init) => this.#answer(input, init),
      },
    });
  }

  /**
   * The REST form of `requests` for a batch of `model`, and the byte length of the create body
   * that carries them inline. Rejects with the SDK's own error when a request cannot be sent.
   */
  async encode(
    model: string,
    requests: InlinedRequest[],
  ): Promise<{ requests: RestInlinedRequest[]; bytes: number }> {
    const key = `codec-${this.#next++}`;
    const exchange: Exchange = {};
    this.#exchanges.set(key, exchange);
    try {
      await this.#ai.batches.create({ model, src: requests, config: { displayName: key } });
      if (exchange.sent === undefined) throw new Error('the SDK sent no batch create body');
      return exchange.sent;
    } finally {
      this.#exchanges.delete(key);
    }
  }

  /** REST inlined responses (`{ response | error, metadata }`) as the SDK returns them. */
  async decode(responses: unknown[]): Promise<InlinedResponse[]> {
    if (responses.length === 0) return [];
    const key = `codec-${this.#next++}`;
    this.#exchanges.set(key, { receive: responses });
    try {
      const job = await this.#ai.batches.get({ name: `batches/${key}` });
      return job.dest?.inlinedResponses ?? [];
    } finally {
      this.#exchanges.delete(key);
    }
  }

  async #answer(input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const text = typeof init?.body === 'string' ? init.body : '';
    if (CREATE_PATH.test(url.pathname)) {
      const body = JSON.parse(text) as {
        batch?: {
          displayName?: string;
          inputConfig?: { requests?: { requests?: RestInlinedRequest[] } };
        };
      };
      const exchange = this.#exchanges.get(body.batch?.displayName ?? '');
      if (exchange !== undefined) {
        exchange.sent = {
          requests: body.batch?.inputConfig?.requests?.requests ?? [],
          bytes: Buffer.byteLength(text),
        };
      }
      return json({ name: 'batches/codec', metadata: { state: 'BATCH_STATE_PENDING' } });
    }
    const get = GET_PATH.exec(url.pathname);
    const name = get?.[1];
    if (name !== undefined) {
      const responses = this.#exchanges.get(name.slice('batches/'.length))?.receive ?? [];
      return json({
        name,
        done: true,
        metadata: {
          state: 'BATCH_STATE_SUCCEEDED',
          output: { inlinedResponses: { inlinedResponses: responses } },
        },
      });
    }
    return new Response(
      JSON.stringify({ error: { code: 404, message: 'not a codec route', status: 'NOT_FOUND' } }),
      { status: 404, headers: { 'content-type': 'application/json' } },
    );
  }
}
