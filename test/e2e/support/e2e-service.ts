import type { GeminiLanesConfig } from '@gemini-lanes/core';
import {
  createLatencyLane,
  createQuotaLimiter,
  createRouter,
  createThroughputLane,
  type LatencyLane,
  type QuotaLimiter,
  type Router,
  type ThroughputLane,
} from '@gemini-lanes/lanes';
import { createTelemetry, type Telemetry } from '@gemini-lanes/otel';
import { type RegisteredTelemetry, register } from '@gemini-lanes/otel/register';

/** The lanes the service runs, and the router in front of them that its callers use. */
export interface ServiceLanes {
  latency: LatencyLane;
  throughput: ThroughputLane;
  router: Router;
}

/** The service under test, as a real deployment wires it: one telemetry, one quota, its lanes. */
export interface ServiceUnderTest {
  readonly config: GeminiLanesConfig;
  readonly sdk: RegisteredTelemetry;
  readonly telemetry: Telemetry;
  readonly quota: QuotaLimiter;
  readonly lanes: ServiceLanes;
  /** `127.0.0.1:<port>`: what Prometheus scrapes (`/metrics`). */
  readonly metricsAddress: string;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** The configuration; the latency lane's `endpoints` (when listed) are called as they are. */
  config: GeminiLanesConfig;
  /**
   * The emulator the lanes call instead of the Gemini API: the throughput lane's upstream, and
   * the latency lane's first endpoint (the lanes' `baseUrl` replaces `endpoints[0].url`).
   */
  upstreamUrl: string;
  apiKey: string;
  /** Where spans go over OTLP/HTTP JSON. */
  otlpTracesUrl: string;
}

/**
 * Starts the service in this process the way the README tells users to: `register()` (a
 * Prometheus endpoint on a free port of 127.0.0.1, spans over OTLP to the test's receiver),
 * `createTelemetry` once with its providers, one shared quota limiter, both lanes on it and a
 * router in front of them.
 * `register()` sets the global providers, so one service per process: vitest runs each test
 * file in a process of its own.
 */
export async function startServiceUnderTest(options: ServiceOptions): Promise<ServiceUnderTest> {
  const { config } = options;
  const sdk = await register({
    serviceName: config.service,
    prometheus: { host: '127.0.0.1', port: 0 },
    otlp: { traces: { url: options.otlpTracesUrl }, metrics: false },
  });
  try {
    const telemetry = createTelemetry(config, {
      meterProvider: sdk.meterProvider,
      tracerProvider: sdk.tracerProvider,
    });
    const quota = createQuotaLimiter(config.quota);
    const laneOptions = { apiKey: options.apiKey, telemetry, quota, baseUrl: options.upstreamUrl };
    const latency = createLatencyLane(config.lanes.latency, laneOptions);
    const throughput = createThroughputLane(config.lanes.throughput, laneOptions);
    const router = createRouter({ latency, throughput, telemetry });
    const metricsUrl = sdk.prometheusUrl;
    if (metricsUrl === undefined) throw new Error('register() served no Prometheus endpoint');
    return {
      config,
      sdk,
      telemetry,
      quota,
      lanes: { latency, throughput, router },
      metricsAddress: new URL(metricsUrl).host,
      close: async () => {
        await Promise.all([latency.close(), throughput.close()]);
        await sdk.shutdown();
      },
    };
  } catch (error) {
    await sdk.shutdown();
    throw error;
  }
}
