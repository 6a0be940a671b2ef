import {
  builtinModels,
  builtinQuota,
  type ModelProfile,
  PROFILE_NAMES,
  type ProfileName,
  type Quantiles,
  type QuotaLimits,
  type ThinkingMode,
} from './profiles.js';
import {
  booleanOf,
  EmulatorOptionsError,
  mapOf,
  numberOf,
  objectOf,
  oneOf,
  stringOf,
} from './validation.js';

/** Faults the emulator can inject, by rate or with the `x-emulator-fault` request header. */
export const FAULT_KINDS = [
  '500',
  '503',
  'reset',
  'stall',
  'malformed-chunk',
  'slow-first-byte',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A model's profile given as changes to a built-in one (`base`, default: the model itself or `gemini-2.5-flash`). */
export type ModelProfileOverride = Partial<ModelProfile> & { base?: string };

export interface NetworkOptions {
  /** Delay before a new connection is served: TCP (and TLS) set-up to a distant region. */
  connectDelayMs: number;
  /** Round trip added to every response. */
  rttMs: number;
  /** Serve HTTPS with a self-signed certificate generated at start (needs the `openssl` CLI). */
  tls: boolean;
}

export interface BatchTiming {
  /** Time a batch stays PENDING. */
  pendingMs: number;
  /** RUNNING time per request in the batch ... */
  msPerRequest: number;
  /** ... and at least this long. */
  minRunningMs: number;
  /** A batch that would not finish within this time of its creation ends EXPIRED (48 h on the real API). */
  expireAfterMs: number;
}

export interface FaultOptions {
  /** Probability per model call of each fault, drawn from the seeded random stream; their sum is at most 1. */
  rates: Record<FaultKind, number>;
  /** How late the first byte is under `slow-first-byte`. */
  slowFirstByteMs: number;
}

/** What `startEmulator` accepts; every field is optional. */
export interface EmulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Built-in model profiles to start from. Default `default`. */
  profile?: ProfileName;
  /** Per-model changes to the profile, or new models (by name, without `models/`). */
  models?: Record<string, ModelProfileOverride>;
  /** The project's quota per model (merged over the built-in tier), or `false` for none. */
  quota?: false | Record<string, Partial<QuotaLimits>>;
  network?: Partial<NetworkOptions>;
  faults?: { rates?: Partial<Record<FaultKind, number>>; slowFirstByteMs?: number };
  /** Rounds of `functionCall` answers a request with function declarations gets before a final text. Default 1. */
  functionCalling?: { rounds?: number };
  batch?: Partial<BatchTiming>;
  /** Divides every time constant (latency, network, quota windows, batch timing). Default 1. */
  speed?: number;
  /** Seed of every random draw. Default 1. */
  seed?: number;
  /** Multiplies every latency (a latency regression); also switchable at run time. Default 1. */
  latencyMultiplier?: number;
  /** How long an idle keep-alive connection stays open; keep it longer than clients' idle timeouts. Default 120000. */
  keepAliveTimeoutMs?: number;
  /** Largest JSON request body; larger gets 400. Default 20 MiB, the API's inline request limit. */
  bodyLimitBytes?: number;
  /** Largest file the Files API accepts. Default 100 MiB. */
  uploadLimitBytes?: number;
  /** When set, only these API keys are accepted (others get 400 API_KEY_INVALID); by default any non-empty key is. */
  apiKeys?: readonly string[] | null;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  host: string;
  port: number;
  profile: ProfileName;
  models: Record<string, ModelProfile>;
  quotaEnabled: boolean;
  quota: Record<string, QuotaLimits>;
  network: NetworkOptions;
  faults: FaultOptions;
  functionCalling: { rounds: number };
  batch: BatchTiming;
  speed: number;
  seed: number;
  latencyMultiplier: number;
  keepAliveTimeoutMs: number;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  apiKeys: readonly string[] | null;
}

const TOP_LEVEL = [
  'host',
  'port',
  'profile',
  'models',
  'quota',
  'network',
  'faults',
  'functionCalling',
  'batch',
  'speed',
  'seed',
  'latencyMultiplier',
  'keepAliveTimeoutMs',
  'bodyLimitBytes',
  'uploadLimitBytes',
  'apiKeys',
] as const;

const PROFILE_FIELDS = [
  'base',
  'kind',
  'displayName',
  'ttftMs',
  'thinkingMs',
  'thinking',
  'decodeTokensPerSecond',
  'outputTokens',
  'chunkTokens',
  'loadSlowdown',
  'slots',
  'maxQueue',
  'inputTokenLimit',
  'outputTokenLimit',
  'embeddingDimensions',
  'implicitCacheShare',
  'implicitCacheMinTokens',
  'cachedContentTokens',
] as const;

const THINKING_MODES: readonly ThinkingMode[] = ['default-on', 'required', 'default-off'];

function quantilesOf(value: unknown, field: string, positive = false): Quantiles {
  const q = objectOf(value, field, ['median', 'p95']);
  const median = numberOf(q.median, `${field}.median`, { min: 0, exclusiveMin: positive });
  const p95 = numberOf(q.p95, `${field}.p95`, { min: 0 });
  if (p95 < median) {
    throw new EmulatorOptionsError(
      `${field}.p95`,
      `must be >= median (got ${p95}, median ${median})`,
    );
  }
  if (median === 0 && p95 !== 0) {
    throw new EmulatorOptionsError(`${field}.p95`, `must be 0 when the median is 0 (got ${p95})`);
  }
  return { median, p95 };
}

function nullableCount(value: unknown, field: string): number | null {
  return value === null ? null : numberOf(value, field, { min: 1, integer: true });
}

function modelProfileOf(
  name: string,
  value: unknown,
  builtins: Record<string, ModelProfile>,
): ModelProfile {
  const field = `models.${name}`;
  const o = objectOf(value, field, PROFILE_FIELDS);
  const baseName =
    o.base === undefined
      ? builtins[name] !== undefined
        ? name
        : 'gemini-2.5-flash'
      : stringOf(o.base, `${field}.base`);
  const base = builtins[baseName];
  if (base === undefined) {
    throw new EmulatorOptionsError(
      `${field}.base`,
      `must name a built-in model (${Object.keys(builtins).join(', ')}) (got ${JSON.stringify(baseName)})`,
    );
  }
  const p: ModelProfile = { ...base };
  if (o.kind !== undefined) p.kind = oneOf(o.kind, `${field}.kind`, ['generate', 'embed'] as const);
  if (o.displayName !== undefined) p.displayName = stringOf(o.displayName, `${field}.displayName`);
  if (o.ttftMs !== undefined) p.ttftMs = quantilesOf(o.ttftMs, `${field}.ttftMs`);
  if (o.thinkingMs !== undefined) p.thinkingMs = quantilesOf(o.thinkingMs, `${field}.thinkingMs`);
  if (o.thinking !== undefined) p.thinking = oneOf(o.thinking, `${field}.thinking`, THINKING_MODES);
  if (o.decodeTokensPerSecond !== undefined) {
    p.decodeTokensPerSecond = quantilesOf(
      o.decodeTokensPerSecond,
      `${field}.decodeTokensPerSecond`,
      true,
    );
  }
  if (o.outputTokens !== undefined) {
    p.outputTokens = quantilesOf(o.outputTokens, `${field}.outputTokens`, true);
  }
  if (o.chunkTokens !== undefined) {
    p.chunkTokens = numberOf(o.chunkTokens, `${field}.chunkTokens`, { min: 1, integer: true });
  }
  if (o.loadSlowdown !== undefined) {
    p.loadSlowdown = numberOf(o.loadSlowdown, `${field}.loadSlowdown`, { min: 0, max: 1 });
  }
  if (o.slots !== undefined) p.slots = nullableCount(o.slots, `${field}.slots`);
  if (o.maxQueue !== undefined) {
    p.maxQueue =
      o.maxQueue === null
        ? null
        : numberOf(o.maxQueue, `${field}.maxQueue`, { min: 0, integer: true });
  }
  for (const key of [
    'inputTokenLimit',
    'outputTokenLimit',
    'embeddingDimensions',
    'cachedContentTokens',
  ] as const) {
    if (o[key] !== undefined) {
      p[key] = numberOf(o[key], `${field}.${key}`, {
        min: key === 'cachedContentTokens' ? 0 : 1,
        integer: true,
      });
    }
  }
  if (o.implicitCacheShare !== undefined) {
    p.implicitCacheShare = numberOf(o.implicitCacheShare, `${field}.implicitCacheShare`, {
      min: 0,
      max: 1,
    });
  }
  if (o.implicitCacheMinTokens !== undefined) {
    p.implicitCacheMinTokens = numberOf(
      o.implicitCacheMinTokens,
      `${field}.implicitCacheMinTokens`,
      {
        min: 0,
        integer: true,
      },
    );
  }
  if (p.kind === 'embed' && p.embeddingDimensions < 1) {
    throw new EmulatorOptionsError(
      `${field}.embeddingDimensions`,
      'must be >= 1 for an embed model',
    );
  }
  return p;
}

/** Validates one model's quota limits, merged over `base`. */
export function quotaLimitsOf(value: unknown, field: string, base: QuotaLimits): QuotaLimits {
  const o = objectOf(value, field, ['rpm', 'inputTpm', 'rpd']);
  const limits = { ...base };
  for (const key of ['rpm', 'inputTpm', 'rpd'] as const) {
    if (o[key] !== undefined) limits[key] = nullableCount(o[key], `${field}.${key}`);
  }
  return limits;
}

/** Validates fault rates: each in [0, 1], their sum at most 1. */
export function faultRatesOf(
  value: unknown,
  field: string,
  base: Record<FaultKind, number>,
): Record<FaultKind, number> {
  const o = objectOf(value, field, FAULT_KINDS);
  const rates = { ...base };
  for (const kind of FAULT_KINDS) {
    if (o[kind] !== undefined)
      rates[kind] = numberOf(o[kind], `${field}.${kind}`, { min: 0, max: 1 });
  }
  const sum = FAULT_KINDS.reduce((total, kind) => total + rates[kind], 0);
  if (sum > 1 + 1e-9)
    throw new EmulatorOptionsError(field, `must add up to at most 1 (got ${sum})`);
  return rates;
}

/** No faults. */
export function noFaults(): Record<FaultKind, number> {
  return { '500': 0, '503': 0, reset: 0, stall: 0, 'malformed-chunk': 0, 'slow-first-byte': 0 };
}

/**
 * Applies defaults and validates, so that the server never starts half-configured. Throws
 * `EmulatorOptionsError` naming the first bad field.
 */
export function resolveOptions(input: EmulatorOptions | undefined = {}): ResolvedOptions {
  const o = objectOf(input, '', TOP_LEVEL);
  const profile = o.profile === undefined ? 'default' : oneOf(o.profile, 'profile', PROFILE_NAMES);
  const builtins = builtinModels(profile);
  const models: Record<string, ModelProfile> = { ...builtins };
  if (o.models !== undefined) {
    for (const [name, override] of Object.entries(mapOf(o.models, 'models'))) {
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) {
        throw new EmulatorOptionsError(
          `models.${name}`,
          'is not a model id (lower-case letters, digits, dots and dashes, without "models/")',
        );
      }
      models[name] = modelProfileOf(name, override, builtins);
    }
  }

  const quota = builtinQuota();
  for (const name of Object.keys(models)) quota[name] ??= { rpm: null, inputTpm: null, rpd: null };
  let quotaEnabled = true;
  if (o.quota === false) {
    quotaEnabled = false;
  } else if (o.quota !== undefined) {
    for (const [name, limits] of Object.entries(mapOf(o.quota, 'quota'))) {
      if (models[name] === undefined) {
        throw new EmulatorOptionsError(
          `quota.${name}`,
          'names a model the emulator does not serve',
        );
      }
      quota[name] = quotaLimitsOf(
        limits,
        `quota.${name}`,
        quota[name] ?? { rpm: null, inputTpm: null, rpd: null },
      );
    }
  }

  const network: NetworkOptions = { connectDelayMs: 0, rttMs: 0, tls: false };
  if (o.network !== undefined) {
    const n = objectOf(o.network, 'network', ['connectDelayMs', 'rttMs', 'tls']);
    if (n.connectDelayMs !== undefined) {
      network.connectDelayMs = numberOf(n.connectDelayMs, 'network.connectDelayMs', { min: 0 });
    }
    if (n.rttMs !== undefined) network.rttMs = numberOf(n.rttMs, 'network.rttMs', { min: 0 });
    if (n.tls !== undefined) network.tls = booleanOf(n.tls, 'network.tls');
  }

  const faults: FaultOptions = { rates: noFaults(), slowFirstByteMs: 10_000 };
  if (o.faults !== undefined) {
    const f = objectOf(o.faults, 'faults', ['rates', 'slowFirstByteMs']);
    if (f.rates !== undefined) faults.rates = faultRatesOf(f.rates, 'faults.rates', faults.rates);
    if (f.slowFirstByteMs !== undefined) {
      faults.slowFirstByteMs = numberOf(f.slowFirstByteMs, 'faults.slowFirstByteMs', { min: 0 });
    }
  }

  const functionCalling = { rounds: 1 };
  if (o.functionCalling !== undefined) {
    const fc = objectOf(o.functionCalling, 'functionCalling', ['rounds']);
    if (fc.rounds !== undefined) {
      functionCalling.rounds = numberOf(fc.rounds, 'functionCalling.rounds', {
        min: 0,
        integer: true,
      });
    }
  }

  const batch: BatchTiming = {
    pendingMs: 5000,
    msPerRequest: 50,
    minRunningMs: 5000,
    expireAfterMs: 48 * 3600 * 1000,
  };
  if (o.batch !== undefined) {
    const b = objectOf(o.batch, 'batch', [
      'pendingMs',
      'msPerRequest',
      'minRunningMs',
      'expireAfterMs',
    ]);
    for (const key of ['pendingMs', 'msPerRequest', 'minRunningMs'] as const) {
      if (b[key] !== undefined) batch[key] = numberOf(b[key], `batch.${key}`, { min: 0 });
    }
    if (b.expireAfterMs !== undefined) {
      batch.expireAfterMs = numberOf(b.expireAfterMs, 'batch.expireAfterMs', {
        min: 0,
        exclusiveMin: true,
      });
    }
  }

  let apiKeys: readonly string[] | null = null;
  if (o.apiKeys !== undefined && o.apiKeys !== null) {
    if (!Array.isArray(o.apiKeys) || o.apiKeys.length === 0) {
      throw new EmulatorOptionsError('apiKeys', 'must be a non-empty array of strings or null');
    }
    apiKeys = o.apiKeys.map((key, i) => stringOf(key, `apiKeys[${i}]`));
  }

  const host = o.host === undefined ? '127.0.0.1' : stringOf(o.host, 'host');
  return {
    host,
    port:
      o.port === undefined ? 0 : numberOf(o.port, 'port', { min: 0, max: 65_535, integer: true }),
    profile,
    models,
    quotaEnabled,
    quota,
    network,
    faults,
    functionCalling,
    batch,
    speed: o.speed === undefined ? 1 : numberOf(o.speed, 'speed', { min: 0, exclusiveMin: true }),
    seed:
      o.seed === undefined
        ? 1
        : numberOf(o.seed, 'seed', {
            integer: true,
            min: Number.MIN_SAFE_INTEGER,
            max: Number.MAX_SAFE_INTEGER,
          }),
    latencyMultiplier:
      o.latencyMultiplier === undefined
        ? 1
        : numberOf(o.latencyMultiplier, 'latencyMultiplier', { min: 0, exclusiveMin: true }),
    keepAliveTimeoutMs:
      o.keepAliveTimeoutMs === undefined
        ? 120_000
        : numberOf(o.keepAliveTimeoutMs, 'keepAliveTimeoutMs', { min: 1, integer: true }),
    bodyLimitBytes:
      o.bodyLimitBytes === undefined
        ? 20 * 1024 * 1024
        : numberOf(o.bodyLimitBytes, 'bodyLimitBytes', { min: 1, integer: true }),
    uploadLimitBytes:
      o.uploadLimitBytes === undefined
        ? 100 * 1024 * 1024
        : numberOf(o.uploadLimitBytes, 'uploadLimitBytes', { min: 1, integer: true }),
    apiKeys,
  };
}
