/** The instrumentation scope name of every meter and tracer this package creates. */
export const INSTRUMENTATION_NAME = '@gemini-lanes/otel';
/** This package's version, reported as the instrumentation scope version. */
export const INSTRUMENTATION_VERSION = '0.1.0';
