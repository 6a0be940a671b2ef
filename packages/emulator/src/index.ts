export type { ControlPatch, ControlState } from './control.js';
export { LatencyModel, type LatencySample, type LoadConditions } from './latency-model.js';
export type { EmulatorStats, ModelStats, TokenTotals } from './metrics.js';
export {
  type BatchTiming,
  type EmulatorOptions,
  FAULT_KINDS,
  type FaultKind,
  type FaultOptions,
  type ModelProfileOverride,
  type NetworkOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
export {
  builtinModels,
  builtinQuota,
  type ModelProfile,
  PROFILE_NAMES,
  type ProfileName,
  type Quantiles,
  type QuotaLimits,
  type ThinkingMode,
} from './profiles.js';
export { LogNormal, Random } from './random.js';
export { type EmulatorHandle, startEmulator } from './server.js';
export { CHARS_PER_TOKEN, MEDIA_PART_TOKENS } from './tokens.js';
export { EmulatorOptionsError } from './validation.js';
