import { describe, expect, it } from 'vitest';
import { apiError, client, emulator, waitFor } from './helpers.js';

describe('stats and /metrics', () => {
  it('count requests, connections, batches, 429s, tokens and faults, in Prometheus text too', async () => {
    // Real-time quota minute (speed 1) and no latency, so the window holds for the whole test.
    const handle = await emulator({
      speed: 1,
      profile: 'zero',
      quota: { 'gemini-2.5-flash': { rpm: 2 } },
      batch: { pendingMs: 1e9 },
    });
    const ai = client(handle);
    const a = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'abcd' });
    const b = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'abcd' });
    expect(
      (
        await apiError(() =>
          ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'abcd' }),
        )
      ).status,
    ).toBe(429);
    await apiError(() =>
      ai.models.countTokens({
        model: 'gemini-2.5-flash',
        contents: 'x',
        config: { httpOptions: { headers: { 'x-emulator-fault': '503' } } },
      }),
    );
    await ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }],
    });

    const output =
      (a.usageMetadata?.candidatesTokenCount ?? 0) + (b.usageMetadata?.candidatesTokenCount ?? 0);
    const thoughts =
      (a.usageMetadata?.thoughtsTokenCount ?? 0) + (b.usageMetadata?.thoughtsTokenCount ?? 0);
    const stats = await waitFor(() => {
      const s = handle.stats();
      return s.requests === 5 ? s : undefined;
    });
    expect(stats).toMatchObject({
      requests: 5,
      requestsByRoute: { generateContent: 3, countTokens: 1, batchGenerateContent: 1 },
      responsesByStatus: { '200': 3, '429': 1, '503': 1 },
      batchesCreated: 1,
      batchesByState: { BATCH_STATE_PENDING: 1 },
      rateLimited: 1,
      rateLimitedByLimit: { rpm: 1 },
      tokens: { input: 2, output, thoughts },
      tokensGenerated: output + thoughts,
      faultsInjected: { '503': 1, '500': 0 },
      internalErrors: 0,
      inFlight: 0,
      queueDepth: 0,
    });
    expect(stats.connectionsAccepted).toBeGreaterThanOrEqual(1);
    expect(stats.models['gemini-2.5-flash']).toMatchObject({
      requests: 4,
      quota: { requestsPerMinute: 2, inputTokensPerMinute: 2 },
    });

    const res = await fetch(`${handle.url}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? -?\d+(\.\d+)?(e[+-]?\d+)?)$/,
      );
    }
    expect(text).toContain(
      'gemini_emulator_requests_total{route="generateContent",model="gemini-2.5-flash",code="200"} 2',
    );
    expect(text).toContain(
      'gemini_emulator_requests_total{route="generateContent",model="gemini-2.5-flash",code="429"} 1',
    );
    expect(text).toContain(
      `gemini_emulator_connections_accepted_total ${stats.connectionsAccepted}`,
    );
    expect(text).toContain('gemini_emulator_rate_limited_total 1');
    expect(text).toContain('gemini_emulator_batches_created_total 1');
    expect(text).toContain('gemini_emulator_batches{state="BATCH_STATE_PENDING"} 1');
    expect(text).toContain(
      `gemini_emulator_tokens_total{model="gemini-2.5-flash",kind="output"} ${output}`,
    );
    expect(text).toContain('gemini_emulator_faults_injected_total{fault="503"} 1');
    expect(text).toContain('gemini_emulator_faults_injected_total{fault="reset"} 0');
    expect(text).toContain('gemini_emulator_queue_depth{model="gemini-2.5-pro"} 0');
    expect(text).toContain('# TYPE gemini_emulator_requests_total counter');
  });

  it('queues requests beyond the generation slots and refuses beyond the queue (503)', async () => {
    // 2 slots, a queue of 2; each generation holds its slot for 5 s of emulated time (500 ms).
    const handle = await emulator({
      speed: 10,
      models: {
        'gemini-2.5-flash-lite': {
          slots: 2,
          maxQueue: 2,
          ttftMs: { median: 5000, p95: 5000 },
          outputTokens: { median: 4, p95: 4 },
        },
      },
    });
    const ai = client(handle);
    const calls = Array.from({ length: 5 }, () =>
      ai.models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'x' }).then(
        () => 'ok',
        (error: { status?: number }) => String(error.status),
      ),
    );
    const busy = await waitFor(() => {
      const s = handle.stats();
      return s.slotsInUse === 2 && s.queueDepth === 2 ? s : undefined;
    });
    expect(busy.models['gemini-2.5-flash-lite']).toMatchObject({ slotsInUse: 2, queueDepth: 2 });
    // The same gauges on /metrics (polled: the queue drains while the scrape travels).
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${handle.url}/metrics`)).text();
      return text.includes('gemini_emulator_queue_depth{model="gemini-2.5-flash-lite"} 2')
        ? text
        : undefined;
    });
    expect(metrics).toContain('gemini_emulator_slots_in_use{model="gemini-2.5-flash-lite"} 2');
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4);
    expect(outcomes.filter((o) => o === '503')).toHaveLength(1);
    expect(handle.stats()).toMatchObject({ slotsInUse: 0, queueDepth: 0, inFlight: 0 });
  });
});
