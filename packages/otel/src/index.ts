export type {
  RequestHook,
  RequestHookInfo,
  ResponseHook,
  ResponseHookInfo,
  RoundTripSpans,
} from './client-context.js';
export {
  CAPTURE_CONTENT_ENV,
  type ChatMessage,
  type MessagePart,
  type OutputMessage,
} from './content-capture.js';
export { type Endpoint, endpointOf, type ProviderName } from './endpoint.js';
export { CANCELLED, errorTypeOf, TIMEOUT } from './error-type.js';
export { GENAI_SPAN_ATTR } from './genai-attributes.js';
export { guard } from './guard.js';
export { type InstrumentGenAIOptions, instrumentGenAI } from './instrument-genai.js';
export {
  GoogleGenAIInstrumentation,
  type GoogleGenAIInstrumentationConfig,
} from './instrumentation.js';
export type { InstrumentOf, Instruments, MetricAttributesOf } from './instruments.js';
export {
  type AttemptKind,
  type FallbackReason,
  type LaneAttempt,
  laneAttemptOf,
  markLaneAttempt,
} from './lane-attempt.js';
export { DEFAULT_MODEL_LABEL_LIMIT, normalizeModel, OTHER_MODEL } from './model-label.js';
export { type GaugeCallback, ObservedGauge } from './observed-gauge.js';
export type { Operation } from './operation.js';
export {
  type RouteDecision,
  type RouteReason,
  routeDecisionFrom,
  setRouteDecision,
  withRouteDecision,
} from './route-decision.js';
export {
  createTelemetry,
  type Telemetry,
  type TelemetryProviders,
  type UsageLabels,
} from './telemetry.js';
export { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.js';
