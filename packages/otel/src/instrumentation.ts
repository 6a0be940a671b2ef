import type { Lane, PricingTier } from '@gemini-lanes/core';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import type { RequestHook, ResponseHook, RoundTripSpans } from './client-context.js';
import { defaultTelemetry } from './default-telemetry.js';
import { guard } from './guard.js';
import { instrumentClient } from './instrument-client.js';
import type { Telemetry } from './telemetry.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.js';

/** Configuration of `GoogleGenAIInstrumentation`. */
export interface GoogleGenAIInstrumentationConfig extends InstrumentationConfig {
  /** Recorded as `gemini_lanes.lane` on every client's telemetry; omitted when unset. */
  lane?: Lane | undefined;
  /** The process's telemetry; default: built from the default configuration on the providers. */
  telemetry?: Telemetry | undefined;
  captureContent?: boolean | undefined;
  roundTripSpans?: RoundTripSpans | undefined;
  requestHook?: RequestHook | undefined;
  responseHook?: ResponseHook | undefined;
  tier?: PricingTier | undefined;
}

type Constructor = new (...args: never[]) => object;

/**
 * Instruments every `GoogleGenAI` client created after it is enabled, for the
 * `registerInstrumentations({ instrumentations: [...] })` style. It hooks `@google/genai`
 * 3.x as it loads, under CommonJS (`require`) and ESM (`import`, which needs the
 * `import-in-the-middle` loader hook registered with `--import`), and replaces the exported
 * `GoogleGenAI` class with a subclass that instruments each new instance. While disabled,
 * instrumented clients pass calls straight through.
 */
export class GoogleGenAIInstrumentation extends InstrumentationBase<GoogleGenAIInstrumentationConfig> {
  declare private providers: { meterProvider?: MeterProvider; tracerProvider?: TracerProvider };
  declare private telemetryCache: Telemetry | undefined;

  constructor(config: GoogleGenAIInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@google/genai',
      ['>=3.0.0 <4'],
      (moduleExports: Record<string, unknown>) => this.patch(moduleExports),
      (moduleExports: Record<string, unknown> | undefined) => this.unpatch(moduleExports),
    );
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    this.providers = { ...this.providers, meterProvider };
    this.telemetryCache = undefined;
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.providers = { ...this.providers, tracerProvider };
    this.telemetryCache = undefined;
  }

  override setConfig(config: GoogleGenAIInstrumentationConfig): void {
    super.setConfig(config);
    this.telemetryCache = undefined;
  }

  /** Instruments a client created before the instrumentation was enabled. */
  instrument<T extends object>(client: T): T {
    instrumentClient(client, this.settings(), 'GoogleGenAIInstrumentation.instrument(client)');
    return client;
  }

  private telemetry(): Telemetry {
    const configured = this.getConfig().telemetry;
    if (configured !== undefined) return configured;
    this.telemetryCache ??= defaultTelemetry(this.providers ?? {});
    return this.telemetryCache;
  }

  private settings() {
    const config = this.getConfig();
    return {
      telemetry: () => this.telemetry(),
      lane: config.lane,
      captureContent: config.captureContent,
      roundTripSpans: config.roundTripSpans,
      requestHook: config.requestHook,
      responseHook: config.responseHook,
      tier: config.tier,
      enabled: () => this.isEnabled(),
    };
  }

  private patch(moduleExports: Record<string, unknown>): Record<string, unknown> {
    if (typeof moduleExports.GoogleGenAI !== 'function') return moduleExports;
    this._wrap(moduleExports, 'GoogleGenAI', (original: unknown) => {
      const Original = original as Constructor;
      const instrumentation = this;
      const Instrumented = class GoogleGenAI extends Original {
        constructor(...args: never[]) {
          super(...args);
          guard('instrument client', () => instrumentation.instrument(this));
        }
      };
      return Instrumented as unknown;
    });
    return moduleExports;
  }

  private unpatch(moduleExports: Record<string, unknown> | undefined): void {
    if (moduleExports !== undefined) this._unwrap(moduleExports, 'GoogleGenAI');
  }
}
