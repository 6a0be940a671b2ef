/**
 * The emulator's own counters, served as `stats()` and as Prometheus text on `/metrics`, so a
 * test or a dashboard can see what the upstream did: requests, connections, batches, queueing,
 * 429s, tokens and injected faults. Counters with a bounded label set start at 0.
 */
import { FAULT_KINDS, type FaultKind } from './options.js';
import type { QuotaLimitName } from './quota.js';

export interface TokenTotals {
  input: number;
  cached: number;
  output: number;
  thoughts: number;
  toolUsePrompt: number;
}

export interface ModelStats {
  requests: number;
  inFlight: number;
  queueDepth: number;
  slotsInUse: number;
  tokens: TokenTotals;
  quota: { requestsPerMinute: number; inputTokensPerMinute: number; requestsToday: number };
}

/** A snapshot of the emulator's counters and gauges. */
export interface EmulatorStats {
  /** API requests answered (any status), control and metrics routes excluded. */
  requests: number;
  requestsByRoute: Record<string, number>;
  responsesByStatus: Record<string, number>;
  connectionsAccepted: number;
  openConnections: number;
  /** Generations (unary or streaming) under way. */
  inFlight: number;
  batchesCreated: number;
  batchesByState: Record<string, number>;
  files: number;
  queueDepth: number;
  slotsInUse: number;
  /** 429 responses served. */
  rateLimited: number;
  /** 429s by the limit that was exceeded (one response may exceed several). */
  rateLimitedByLimit: Record<QuotaLimitName, number>;
  tokens: TokenTotals;
  /** Output plus thinking tokens. */
  tokensGenerated: number;
  faultsInjected: Record<FaultKind, number>;
  /** Unexpected failures answered with 500; always 0 unless the emulator has a bug. */
  internalErrors: number;
  models: Record<string, ModelStats>;
}

export function emptyTokens(): TokenTotals {
  return { input: 0, cached: 0, output: 0, thoughts: 0, toolUsePrompt: 0 };
}

/** Counters the server increments as it works. */
export class EmulatorMetrics {
  readonly requests = new Map<string, number>();
  connectionsAccepted = 0;
  openConnections = 0;
  batchesCreated = 0;
  rateLimited = 0;
  readonly rateLimitedByLimit: Record<QuotaLimitName, number> = { rpm: 0, inputTpm: 0, rpd: 0 };
  readonly faults: Record<FaultKind, number>;
  internalErrors = 0;
  readonly tokensByModel = new Map<string, TokenTotals>();

  constructor(models: readonly string[]) {
    this.faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const model of models) this.tokensByModel.set(model, emptyTokens());
  }

  countRequest(route: string, model: string, status: number): void {
    const key = `${route}\u0000${model}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  addTokens(model: string, tokens: Partial<TokenTotals>): void {
    let totals = this.tokensByModel.get(model);
    if (totals === undefined) {
      totals = emptyTokens();
      this.tokensByModel.set(model, totals);
    }
    for (const [kind, value] of Object.entries(tokens) as Array<[keyof TokenTotals, number]>) {
      totals[kind] += value;
    }
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  const entries = Object.entries(pairs);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

type Sample = [Record<string, string>, number];

function family(
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  samples: readonly Sample[],
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labelSet, value] of samples) lines.push(`${name}${labels(labelSet)} ${value}`);
  return lines.join('\n');
}

/** Prometheus text exposition (version 0.0.4) of a stats snapshot and the per-request counters. */
export function renderMetrics(metrics: EmulatorMetrics, stats: EmulatorStats): string {
  const requestSamples: Sample[] = [...metrics.requests.entries()].map(([key, value]) => {
    const [route = '', model = '', code = ''] = key.split('\u0000');
    return [{ route, model, code }, value];
  });
  const modelEntries = Object.entries(stats.models);
  const tokenSamples: Sample[] = modelEntries.flatMap(([model, m]) =>
    (Object.keys(m.tokens) as Array<keyof TokenTotals>).map(
      (kind): Sample => [
        { model, kind: kind === 'toolUsePrompt' ? 'tool_use_prompt' : kind },
        m.tokens[kind],
      ],
    ),
  );
  const perModel = (pick: (m: ModelStats) => number): Sample[] =>
    modelEntries.map(([model, m]) => [{ model }, pick(m)]);
  return `${[
    family(
      'gemini_emulator_requests_total',
      'counter',
      'API requests answered, by route, model and HTTP status.',
      requestSamples,
    ),
    family('gemini_emulator_connections_accepted_total', 'counter', 'TCP connections accepted.', [
      [{}, stats.connectionsAccepted],
    ]),
    family('gemini_emulator_open_connections', 'gauge', 'TCP connections open now.', [
      [{}, stats.openConnections],
    ]),
    family(
      'gemini_emulator_in_flight_generations',
      'gauge',
      'Generations under way, by model.',
      perModel((m) => m.inFlight),
    ),
    family(
      'gemini_emulator_queue_depth',
      'gauge',
      'Requests waiting for a generation slot, by model.',
      perModel((m) => m.queueDepth),
    ),
    family(
      'gemini_emulator_slots_in_use',
      'gauge',
      'Generation slots in use, by model.',
      perModel((m) => m.slotsInUse),
    ),
    family(
      'gemini_emulator_rate_limited_total',
      'counter',
      '429 RESOURCE_EXHAUSTED responses served.',
      [[{}, stats.rateLimited]],
    ),
    family(
      'gemini_emulator_quota_exceeded_total',
      'counter',
      'Quota limits exceeded, by limit (one 429 can exceed several).',
      (Object.keys(stats.rateLimitedByLimit) as QuotaLimitName[]).map(
        (limit): Sample => [{ limit }, stats.rateLimitedByLimit[limit]],
      ),
    ),
    family(
      'gemini_emulator_tokens_total',
      'counter',
      'Tokens by model and kind (input includes cached).',
      tokenSamples,
    ),
    family(
      'gemini_emulator_quota_requests_per_minute',
      'gauge',
      'Requests counted in the sliding minute, by model.',
      perModel((m) => m.quota.requestsPerMinute),
    ),
    family(
      'gemini_emulator_quota_input_tokens_per_minute',
      'gauge',
      'Input tokens counted in the sliding minute, by model.',
      perModel((m) => m.quota.inputTokensPerMinute),
    ),
    family('gemini_emulator_batches_created_total', 'counter', 'Batch jobs created.', [
      [{}, stats.batchesCreated],
    ]),
    family(
      'gemini_emulator_batches',
      'gauge',
      'Batch jobs by state.',
      Object.entries(stats.batchesByState).map(([state, count]): Sample => [{ state }, count]),
    ),
    family('gemini_emulator_files', 'gauge', 'Files stored.', [[{}, stats.files]]),
    family(
      'gemini_emulator_faults_injected_total',
      'counter',
      'Faults injected, by kind.',
      (Object.keys(stats.faultsInjected) as FaultKind[]).map(
        (fault): Sample => [{ fault }, stats.faultsInjected[fault]],
      ),
    ),
    family(
      'gemini_emulator_internal_errors_total',
      'counter',
      'Unexpected failures answered with 500 (a bug if not 0).',
      [[{}, stats.internalErrors]],
    ),
  ].join('\n')}\n`;
}
