/** Where and how spans or metrics go over OTLP/HTTP (JSON). */
export interface OtlpEndpointOptions {
  /** Full URL (`http://collector:4318/v1/traces`); default from the `OTEL_EXPORTER_OTLP_*` variables. */
  url?: string;
  headers?: Record<string, string>;
}

export interface OtlpOptions {
  /** Export spans. Default: when `OTEL_EXPORTER_OTLP_ENDPOINT` or `…_TRACES_ENDPOINT` is set, or `OTEL_TRACES_EXPORTER` names `otlp`. */
  traces?: boolean | OtlpEndpointOptions;
  /** Export metrics too. Default: when `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is set or `OTEL_METRICS_EXPORTER` names `otlp`. */
  metrics?: boolean | (OtlpEndpointOptions & { intervalMs?: number });
}

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function exporters(name: string): string[] | undefined {
  return env(name)
    ?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Whether spans and metrics are exported over OTLP, from the options or else the standard
 * variables. `OTEL_TRACES_EXPORTER=none` / `OTEL_METRICS_EXPORTER=none` turn off what only the
 * variables asked for.
 */
export function otlpSignals(options: OtlpOptions | undefined): {
  traces: boolean;
  metrics: boolean;
} {
  const tracesExporters = exporters('OTEL_TRACES_EXPORTER');
  const metricsExporters = exporters('OTEL_METRICS_EXPORTER');
  const tracesFromEnv =
    tracesExporters?.includes('none') === true
      ? false
      : tracesExporters?.includes('otlp') === true ||
        env('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
        env('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined;
  const metricsFromEnv =
    metricsExporters?.includes('none') === true
      ? false
      : metricsExporters?.includes('otlp') === true ||
        env('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined;
  return {
    traces: options?.traces === undefined ? tracesFromEnv : options.traces !== false,
    metrics: options?.metrics === undefined ? metricsFromEnv : options.metrics !== false,
  };
}

/** The exporter options for a signal: the given URL and headers, else none (the exporter reads the variables). */
export function endpointOptions(
  value: boolean | OtlpEndpointOptions | undefined,
): OtlpEndpointOptions {
  if (typeof value !== 'object') return {};
  const out: OtlpEndpointOptions = {};
  if (value.url !== undefined) out.url = value.url;
  if (value.headers !== undefined) out.headers = value.headers;
  return out;
}
