export type { OtlpEndpointOptions, OtlpOptions } from './otlp-settings.js';
export type { PrometheusOptions } from './prometheus-endpoint.js';
export { type RegisteredTelemetry, type RegisterOptions, register } from './register.js';
