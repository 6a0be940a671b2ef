export {
  createGenAIInstrumentation,
  type InstrumentationStyle,
  instrumentClient,
  telemetryOnGlobalProviders,
} from './gemini-instrumentation.js';
export {
  type Instrumentation,
  type MetricReader,
  type OpenTelemetryOptions,
  type SpanProcessor,
  startOpenTelemetry,
} from './opentelemetry.js';
export {
  DEFAULT_PORT,
  SERVICE_NAME,
  type SupportService,
  type SupportServiceOptions,
  startSupportService,
} from './support-service.js';
