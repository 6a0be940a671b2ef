import { ATTR, METRICS } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { context, metrics, propagation, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstrumentationStyle, SERVICE_NAME, startSupportService } from '../src/index.js';
import {
  type CollectionResult,
  MemoryMetricReader,
  MemorySpanProcessor,
  type ReadableSpan,
} from './in-memory-exporters.js';

const MODEL = 'gemini-2.5-flash';

/** The sum of a metric's points (a counter's values, a histogram's counts) whose attributes include `match`. */
function total(collected: CollectionResult, name: string, match: Record<string, string>): number {
  let sum = 0;
  for (const scope of collected.resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        if (!Object.entries(match).every(([k, v]) => point.attributes[k] === v)) continue;
        const value = point.value as number | { count: number };
        sum += typeof value === 'number' ? value : value.count;
      }
    }
  }
  return sum;
}

function genaiSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.name === `generate_content ${MODEL}`);
}

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ profile: 'zero', seed: 5 });
});
afterAll(async () => {
  await emulator?.close();
});

describe.each<InstrumentationStyle>(['instrumentGenAI', 'GoogleGenAIInstrumentation'])(
  'gemini-lanes inside the service’s own NodeSDK (%s)',
  (style) => {
    const spans = new MemorySpanProcessor();
    const reader = new MemoryMetricReader();
    let service: Awaited<ReturnType<typeof startSupportService>>;

    beforeAll(async () => {
      service = await startSupportService({
        instrumentation: style,
        apiKey: 'test-key',
        baseUrl: emulator.url,
        port: 0,
        spanProcessors: [spans],
        metricReaders: [reader],
      });
    });
    afterAll(async () => {
      await service?.close();
      // NodeSDK.shutdown() leaves the globals registered; the next block starts its own SDK.
      trace.disable();
      metrics.disable();
      context.disable();
      propagation.disable();
    });

    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, string>;
    };

    it('sends the GenAI spans of both calls to the service’s span processor, under its own spans', async () => {
      expect((await post('/draft-reply', { message: 'My invoice is wrong' })).reply).toMatch(/\w/);
      expect((await post('/ask', { question: 'What is a refund window?' })).answer).toMatch(/\w/);

      const calls = genaiSpans(spans.spans);
      // One span per call: the client and the lane are each instrumented once.
      expect(calls).toHaveLength(2);
      for (const span of calls) {
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(span.attributes[ATTR.lane]).toBe('latency');
        expect(span.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
        // The service's resource, from its NodeSDK: not a second SDK's.
        expect(span.resource.attributes['service.name']).toBe(SERVICE_NAME);
        // The SDK's context manager carries the request's span into the call.
        const parent = spans.spans.find(
          (s) => s.spanContext().spanId === span.parentSpanContext?.spanId,
        );
        expect(parent?.kind).toBe(SpanKind.SERVER);
        expect(parent?.spanContext().traceId).toBe(span.spanContext().traceId);
      }
      expect(
        calls
          .map(
            (span) =>
              spans.spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId)
                ?.name,
          )
          .sort(),
      ).toEqual(['POST /ask', 'POST /draft-reply']);
    });

    it('records gemini-lanes metrics through the service’s metric reader, once per call', async () => {
      const collected = await reader.collect();
      expect(collected.resourceMetrics.resource.attributes['service.name']).toBe(SERVICE_NAME);
      const latency = { [ATTR.lane]: 'latency', [ATTR.requestModel]: MODEL };
      expect(
        total(collected, METRICS.requests.name, { ...latency, [ATTR.outcome]: 'success' }),
      ).toBe(2);
      expect(total(collected, METRICS.operationDuration.name, latency)).toBe(2);
      expect(
        total(collected, METRICS.tokens.name, { ...latency, [ATTR.tokenKind]: 'input' }),
      ).toBeGreaterThan(0);
      // Lane gauges ride on the same reader.
      expect(
        total(collected, METRICS.concurrencyLimit.name, { [ATTR.lane]: 'latency' }),
      ).toBeGreaterThan(0);
    });
  },
);
