/**
 * `pnpm --filter @gemini-lanes/example-existing-otel-setup start`: the support API on
 * 127.0.0.1:8081 (PORT) with its own OpenTelemetry SDK, which exports metrics to Prometheus on
 * 127.0.0.1:9467/metrics and spans to the console unless the standard OTEL_* variables say
 * otherwise. GENAI_INSTRUMENTATION=GoogleGenAIInstrumentation picks the second way of
 * instrumenting the service's client (default instrumentGenAI). With GEMINI_API_KEY set it calls
 * Gemini; without it, an embedded emulator stands in.
 */
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import type { InstrumentationStyle } from './gemini-instrumentation.js';
import { DEFAULT_PORT, startSupportService } from './support-service.js';

// The service's exporters, as its operators configure them: standard variables, with defaults.
process.env.OTEL_METRICS_EXPORTER ??= 'prometheus';
process.env.OTEL_EXPORTER_PROMETHEUS_HOST ??= '127.0.0.1';
process.env.OTEL_EXPORTER_PROMETHEUS_PORT ??= '9467';
process.env.OTEL_TRACES_EXPORTER ??= 'console';

const styles: readonly InstrumentationStyle[] = ['instrumentGenAI', 'GoogleGenAIInstrumentation'];
const style = process.env.GENAI_INSTRUMENTATION ?? 'instrumentGenAI';
if (!(styles as readonly string[]).includes(style)) {
  process.stderr.write(
    `GENAI_INSTRUMENTATION must be one of ${styles.join(', ')} (got ${style})\n`,
  );
  process.exit(2);
}

const apiKey = process.env.GEMINI_API_KEY;
let emulator: EmulatorHandle | undefined;
if (!apiKey) emulator = await startEmulator({ seed: 1 });

const service = await startSupportService({
  instrumentation: style as InstrumentationStyle,
  apiKey: apiKey || 'emulator',
  ...(emulator ? { baseUrl: emulator.url } : {}),
  port: Number(process.env.PORT ?? DEFAULT_PORT),
});

const metrics =
  process.env.OTEL_METRICS_EXPORTER === 'prometheus'
    ? `http://${process.env.OTEL_EXPORTER_PROMETHEUS_HOST}:${process.env.OTEL_EXPORTER_PROMETHEUS_PORT}/metrics`
    : `through OTEL_METRICS_EXPORTER=${process.env.OTEL_METRICS_EXPORTER}`;
process.stdout.write(
  [
    `support API on ${service.url} (client instrumented with ${style}; ${emulator ? `embedded emulator at ${emulator.url}` : 'Gemini API'})`,
    `metrics ${metrics}; spans through OTEL_TRACES_EXPORTER=${process.env.OTEL_TRACES_EXPORTER}`,
    'try:',
    `  curl ${service.url}/draft-reply -H 'content-type: application/json' -d '{"message":"My invoice is wrong"}'`,
    `  curl ${service.url}/ask -H 'content-type: application/json' -d '{"question":"What is a refund window?"}'`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await service.close();
  await emulator?.close();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
