import { defineConfig, isGeminiLanesError } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import {
  buildDashboards,
  DashboardInputError,
  type DashboardOptions,
  dashboardFiles,
} from '../src/index.js';

function refusal(run: () => unknown): DashboardInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DashboardInputError);
    expect(isGeminiLanesError(error, 'ERR_DASHBOARD_INPUT')).toBe(true);
    return error as DashboardInputError;
  }
  throw new Error('expected a DashboardInputError, got dashboards');
}

describe('bad input gets an error naming the field, never a dashboard with a broken query', () => {
  const config = defineConfig({});

  it.each([
    [{ quantiles: [0.5, 1] }, 'options.quantiles[1]', 1],
    [{ quantiles: [0, 0.9] }, 'options.quantiles[0]', 0],
    [{ quantiles: [0.5, 95] }, 'options.quantiles[1]', 95],
    [{ quantiles: [Number.NaN] }, 'options.quantiles[0]', Number.NaN],
    [{ queueWaitQuantile: -0.1 }, 'options.queueWaitQuantile', -0.1],
  ] as [DashboardOptions, string, number][])(
    'refuses a quantile outside (0, 1): %j',
    (options, field, value) => {
      const error = refusal(() => buildDashboards(config, options));
      expect(error.field).toBe(field);
      expect(error.value).toBe(value);
      expect(error.message).toMatch(
        new RegExp(`^${field.replace(/[[\]]/g, '\\$&')} must be a quantile in \\(0, 1\\)`),
      );
    },
  );

  it('refuses an empty quantile list', () => {
    expect(refusal(() => buildDashboards(config, { quantiles: [] })).field).toBe(
      'options.quantiles',
    );
  });

  it('refuses an SLA threshold that is not a bucket boundary of the exported histograms', () => {
    // Services started with an older configuration export the semconv advice only: 0.5 s is not among it.
    const advice = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12];
    const ttft = refusal(() =>
      buildDashboards(config, { boundaries: { timeToFirstChunk: advice } }),
    );
    expect(ttft.field).toBe('lanes.latency.sla.ttftMs');
    expect(ttft.value).toBe(500);
    expect(ttft.message).toContain('gen_ai.client.operation.time_to_first_chunk');
    expect(ttft.message).toContain('0.5 s is not among');

    const unary = refusal(() =>
      dashboardFiles(config, { boundaries: { operationDuration: [0.5, 1, 2, 5] } }),
    );
    expect(unary.field).toBe('lanes.latency.sla.durationMs');
    expect(unary.value).toBe(2500);

    // The same thresholds among the boundaries are accepted.
    expect(() =>
      buildDashboards(config, {
        boundaries: { timeToFirstChunk: [...advice, 0.5], operationDuration: [2.5] },
      }),
    ).not.toThrow();
  });

  it('refuses an unknown lane or model in the configured selectors', () => {
    const lane = refusal(() =>
      buildDashboards(defineConfig({ prometheus: { selectors: { gemini_lanes_lane: 'batch' } } })),
    );
    expect(lane.field).toBe('prometheus.selectors.gemini_lanes_lane');
    expect(lane.message).toBe(
      'prometheus.selectors.gemini_lanes_lane must be a lane: latency or throughput; no series would match (got "batch")',
    );

    const model = refusal(() =>
      buildDashboards(
        defineConfig({ prometheus: { selectors: { gen_ai_request_model: 'gemini-9-ultra' } } }),
      ),
    );
    expect(model.field).toBe('prometheus.selectors.gen_ai_request_model');
    expect(model.message).toContain('gemini-2.5-flash');

    // Known values are fine and end up in every query.
    const ok = buildDashboards(
      defineConfig({
        prometheus: {
          selectors: { gemini_lanes_lane: 'latency', gen_ai_request_model: 'gemini-2.5-pro' },
        },
      }),
    );
    expect(JSON.stringify(ok)).toContain('gen_ai_request_model=\\"gemini-2.5-pro\\"');
  });

  it('refuses a selector value Grafana would read as a variable', () => {
    const error = refusal(() =>
      buildDashboards(defineConfig({ prometheus: { selectors: { cluster: '$cluster' } } })),
    );
    expect(error.field).toBe('prometheus.selectors.cluster');
  });

  it('refuses a malformed time range or refresh', () => {
    expect(refusal(() => buildDashboards(config, { timeFrom: '6h' })).field).toBe(
      'options.timeFrom',
    );
    expect(refusal(() => buildDashboards(config, { refresh: 'often' })).field).toBe(
      'options.refresh',
    );
    const d = buildDashboards(config, { timeFrom: 'now-24h', refresh: '' });
    expect(d['gemini-lanes-overview.json'].time).toEqual({ from: 'now-24h', to: 'now' });
  });
});
