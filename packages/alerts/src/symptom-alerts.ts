import { ATTR, labelName, promqlNumber } from '@gemini-lanes/core';
import { alertName, labelTemplate, runbookUrl, severity } from './alert-naming.js';
import { panelRef } from './dashboard-links.js';
import { formatDuration, parseDuration } from './duration.js';
import { equals, type LabelMatcher, oneOf } from './label-matcher.js';
import { recordNames } from './record-names.js';
import type { RuleContext } from './rule-context.js';
import type { AlertDefinition, AlertingRule, RunbookEntry } from './rule-types.js';
import { SCRAPE } from './scrape-labels.js';
import { by, on, select, seriesName, withMatchers } from './series-selector.js';
import { COUNTED, NOT_SENT } from './sli.js';

const LANE = labelName(ATTR.lane);
const lane = labelTemplate(LANE);
const job = labelTemplate(SCRAPE.job);
const instance = labelTemplate(SCRAPE.instance);

/** Outcomes of requests that reached the upstream (a cancelled one may or may not have). */
const SENT = COUNTED.filter((o) => !NOT_SENT.includes(o));

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/**
 * How long a symptom must hold unless the configuration names its own duration: two rate
 * intervals. A burst shorter than that raises a rate for one interval and is gone again; what
 * holds for two is a condition, not a burst.
 */
function holdFor(ctx: RuleContext): string {
  return ctx.scaled(formatDuration(2 * parseDuration(ctx.config.prometheus.rateInterval)));
}

interface SymptomInput {
  readonly suffix: string;
  readonly expr: string;
  readonly for: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly description: string;
  readonly runbook: RunbookEntry;
  /** Why the configuration turns this alert off, if it does. */
  readonly off?: string | undefined;
}

/** Symptom alerts file tickets: only SLO burn pages, behind its traffic guard. */
function ticket(ctx: RuleContext, input: SymptomInput): AlertDefinition {
  const alert = alertName(ctx, input.suffix);
  const rule: AlertingRule = {
    alert,
    expr: input.expr,
    for: input.for,
    labels: { severity: severity(ctx, 'ticket'), ...input.labels },
    annotations: {
      summary: input.summary,
      description: input.description,
      runbook_url: runbookUrl(ctx, alert),
    },
  };
  if (input.off !== undefined) return { alert, rules: [], runbook: input.runbook, off: input.off };
  return { alert, rules: [rule], runbook: input.runbook };
}

function record(ctx: RuleContext, name: string, matchers: readonly LabelMatcher[]): string {
  return withMatchers(name, [...ctx.selectors, ...matchers]);
}

function timeToFirstChunkHigh(ctx: RuleContext): AlertDefinition {
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const { ttftMs } = ctx.config.lanes.latency.sla;
  const holds = ctx.scaled(ctx.config.alerts.ttftP95For);
  return ticket(ctx, {
    suffix: 'TimeToFirstChunkHigh',
    expr: `${record(ctx, names.timeToFirstChunk(0.95), [equals('lane', 'latency')])} > ${promqlNumber(ttftMs / 1000)}`,
    for: holds,
    summary: `p95 time to first chunk of the ${lane} lane of ${job} is {{ $value | humanizeDuration }}, over the ${ttftMs}ms SLA`,
    description: `For ${holds}, more than 5% of successful streams in the ${lane} lane waited longer than lanes.latency.sla.ttftMs (${ttftMs}ms) for their first chunk; p95 over the last ${ctx.scaled(ctx.config.prometheus.rateInterval)} is {{ $value | humanizeDuration }}.`,
    runbook: {
      meaning: `The 95th percentile of time to first chunk of successful latency-lane streams has been above \`lanes.latency.sla.ttftMs\` (${ttftMs}ms) for \`alerts.ttftP95For\` (${ctx.config.alerts.ttftP95For}). Because the SLA is a bucket boundary, this means more than 5% of streams were slower than the SLA.`,
      impact:
        'Interactive users wait visibly for the first token. If it persists, the latency SLO burn alert follows and pages.',
      dashboard: `${panelRef(ctx, 'Latency', 'Time to first chunk')} (p50/p95/p99 per model against the SLA line), then ${panelRef(ctx, 'Latency', 'Queue wait')}.`,
      mitigation: [
        'Queue wait high: the lane is saturated; add replicas or lower the offered load (route batch-like requests to the throughput lane).',
        'Queue wait low: the upstream is slow to start streaming; check the model (thinking budgets raise time to first token), the Gemini API status, and whether one endpoint is slower than the others.',
        'Consider hedging (`lanes.latency.hedging`) or a faster `lanes.latency.fallbackModel`.',
      ],
    },
  });
}

function rejectionRatioHigh(ctx: RuleContext): AlertDefinition {
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const { rejectionRatio } = ctx.config.alerts;
  const rejected = `sum ${by(ctx, LANE)} (${record(ctx, names.rejectionsByReason, [
    equals('lane', 'latency'),
    oneOf('rejectionReason', ['queue_full', 'overloaded', 'queue_timeout']),
  ])})`;
  const offered = record(ctx, names.requests, [equals('lane', 'latency')]);
  return ticket(ctx, {
    suffix: 'RejectionRatioHigh',
    expr: `${rejected}\n/\n${offered}\n> ${promqlNumber(rejectionRatio)}`,
    for: holdFor(ctx),
    summary: `The ${lane} lane of ${job} rejects {{ $value | humanizePercentage }} of its requests`,
    description: `{{ $value | humanizePercentage }} of the ${lane} lane's requests were rejected at admission (queue full, overloaded, or queue wait over lanes.latency.sla.maxQueueWaitMs) over the last ${ctx.scaled(ctx.config.prometheus.rateInterval)}; the threshold is ${promqlNumber(rejectionRatio * 100)}% (alerts.rejectionRatio).`,
    runbook: {
      meaning: `More than \`alerts.rejectionRatio\` (${promqlNumber(rejectionRatio * 100)}%) of the latency lane's requests were refused at admission because the queue was full (\`queue_full\`), it could not have started in time at the observed service rate (\`overloaded\`), or the request would have waited longer than \`lanes.latency.sla.maxQueueWaitMs\` (${ctx.config.lanes.latency.sla.maxQueueWaitMs}ms, \`queue_timeout\`). Quota and shutdown rejections are not counted here.`,
      impact:
        'Rejected callers get an immediate error (`QueueTimeoutError` or `LaneOverloadedError`) instead of a late answer; every rejection also burns the latency and availability SLOs.',
      dashboard: `${panelRef(ctx, 'Latency', 'Rejections and timeouts')}, then ${panelRef(ctx, 'Latency', 'Queue depth')} and ${panelRef(ctx, 'Latency', 'In flight and pool connections')}.`,
      mitigation: [
        'Offered load above capacity: add replicas; check whether a client retries rejected requests in a tight loop.',
        'Upstream slower than usual (requests hold their slot longer): see the time-to-first-chunk alert and the Gemini API status.',
        'Raise `lanes.latency.concurrency` only if the upstream serves the extra load within the SLA; raising `maxQueueWaitMs` trades rejections for late answers.',
      ],
    },
  });
}

function throughputBelowFloor(ctx: RuleContext): AlertDefinition {
  const floor = ctx.config.lanes.throughput.floorTokensPerSecond;
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const backlog = `sum ${by(ctx, LANE)} (${select(ctx, 'backlog', [equals('lane', 'throughput')])})`;
  const tokens = record(ctx, names.tokens, [equals('lane', 'throughput')]);
  // A lane that never produced a token has no token series at all: read it as 0.
  const rate = `(\n${indent(`${tokens}\nor\n0 * ${backlog}`)}\n)`;
  return ticket(ctx, {
    suffix: 'ThroughputBelowFloor',
    off:
      floor > 0
        ? undefined
        : 'lanes.throughput.floorTokensPerSecond is 0; set it to the tokens per second the lane must sustain while work is queued.',
    expr: `${rate}\n< ${promqlNumber(floor)}\nand ${on(ctx, LANE)}\n${backlog} > 0`,
    for: holdFor(ctx),
    summary: `The ${lane} lane of ${job} processes {{ $value | humanize }} tokens/s with work queued, under its floor of ${promqlNumber(floor)}`,
    description: `Over the last ${ctx.scaled(ctx.config.prometheus.rateInterval)} the ${lane} lane billed {{ $value | humanize }} tokens per second while work was queued; lanes.throughput.floorTokensPerSecond is ${promqlNumber(floor)}.`,
    runbook: {
      meaning: `The throughput lane has work queued but processes fewer tokens per second (every billed kind: input, cached input, output, thinking, tool-use input) than \`lanes.throughput.floorTokensPerSecond\`${floor > 0 ? ` (${promqlNumber(floor)})` : ''}. An idle lane with nothing queued never fires.`,
      impact:
        'Batch jobs finish late; deadlines of downstream pipelines slip. Interactive traffic is not affected.',
      dashboard: `${panelRef(ctx, 'Throughput', 'Tokens per second by kind')}, then ${panelRef(ctx, 'Throughput', 'Requests and concurrency limit')} and ${panelRef(ctx, 'Throughput', 'Retries and 429s')}.`,
      mitigation: [
        'Concurrency limit at its minimum and many 429s: the shared quota is exhausted (by the latency lane, by another client of the project, or the quota is smaller than configured); raise the quota or lower the floor.',
        'Concurrency limit high but few tokens: the upstream is slow or failing; check errors by `error.type` and the Gemini API status.',
        'Jobs in `batch-api` mode do their work at Google; their tokens are counted when results arrive.',
      ],
    },
  });
}

function rateLimitStorm(ctx: RuleContext): AlertDefinition {
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const { rateLimitedRatio } = ctx.config.alerts;
  const limited = `sum ${by(ctx, LANE)} (${record(ctx, names.retriesByReason, [
    equals('retryReason', 'rate_limited'),
  ])})`;
  const calls = [
    `sum ${by(ctx, LANE)} (${record(ctx, names.requestsByOutcome, [oneOf('outcome', SENT)])})`,
    `sum ${by(ctx, LANE)} (${record(ctx, names.retriesByReason, [])})`,
  ].join('\n+\n');
  return ticket(ctx, {
    suffix: 'RateLimitStorm',
    expr: `${limited}\n/\n(\n${indent(calls)}\n)\n> ${promqlNumber(rateLimitedRatio)}`,
    for: holdFor(ctx),
    summary: `{{ $value | humanizePercentage }} of the ${lane} lane's upstream calls from ${job} get 429 Too Many Requests`,
    description: `Over the last ${ctx.scaled(ctx.config.prometheus.rateInterval)}, {{ $value | humanizePercentage }} of the ${lane} lane's calls to the Gemini API (first attempts and retries) were answered 429 RESOURCE_EXHAUSTED and retried; the threshold is ${promqlNumber(rateLimitedRatio * 100)}% (alerts.rateLimitedRatio).`,
    runbook: {
      meaning: `More than \`alerts.rateLimitedRatio\` (${promqlNumber(rateLimitedRatio * 100)}%) of a lane's upstream calls (first attempts plus retries) were refused with 429 and retried. The shared quota limiter should keep the lanes under the project quota, so a storm means the quota the API enforces is smaller than \`quota.models\` says, or another client spends the same project quota.`,
      impact:
        'Retries add latency and cost nothing but time; in the latency lane they threaten the SLA, in the throughput lane AIMD halves concurrency and tokens per second drop.',
      dashboard: `${panelRef(ctx, 'Throughput', 'Retries and 429s')} and ${panelRef(ctx, 'Throughput', 'Quota utilisation')}.`,
      mitigation: [
        'Compare `quota.models` with the quota shown in the Google Cloud console for the project and model; correct the configuration.',
        'Look for other clients of the same project and API key.',
        'If the storm is in the throughput lane only, lower `lanes.throughput.concurrency.max`; if in the latency lane, raise `quota.latencyReservedShare`.',
      ],
    },
  });
}

function latencyQuotaReserveExhausted(ctx: RuleContext): AlertDefinition {
  const share = ctx.config.quota.latencyReservedShare;
  const dimension = labelName(ATTR.quotaDimension);
  const model = labelName(ATTR.requestModel);
  const utilization = `max ${by(ctx, LANE, dimension, model)} (${select(ctx, 'quotaUtilization', [equals('lane', 'latency')])})`;
  return ticket(ctx, {
    suffix: 'LatencyQuotaReserveExhausted',
    // With no reserve there is nothing to exhaust: any use at all would be ">= 0".
    off:
      share > 0
        ? undefined
        : 'quota.latencyReservedShare is 0: the latency lane has no reserved share to exhaust.',
    expr: `${utilization}\n>= ${promqlNumber(share)}`,
    for: holdFor(ctx),
    summary: `The ${lane} lane of ${job} uses {{ $value | humanizePercentage }} of the ${labelTemplate(dimension)} quota of ${labelTemplate(model)}, all of its reserved share`,
    description: `The ${lane} lane alone uses {{ $value | humanizePercentage }} of the project's ${labelTemplate(dimension)} quota for ${labelTemplate(model)}; quota.latencyReservedShare reserves ${promqlNumber(share * 100)}% for it. Beyond its reserve it competes with the throughput lane for the shared part.`,
    runbook: {
      meaning: `The latency lane has used all of the quota share reserved for it (\`quota.latencyReservedShare\`, ${promqlNumber(share * 100)}% of every dimension) for one model and dimension (\`rpm\`, \`input_tpm\` or \`rpd\`). The throughput lane running at its own quota is its intended steady state and never alerts; this alert is about interactive demand outgrowing its reservation.`,
      impact:
        'Interactive requests now take quota from the shared part, which the throughput lane keeps full: expect quota rejections and 429s in the latency lane, and a latency SLO burn if it goes on.',
      dashboard: `${panelRef(ctx, 'Throughput', 'Quota utilisation')}, split by lane, then ${panelRef(ctx, 'Latency', 'Rejections and timeouts')}.`,
      mitigation: [
        'Raise `quota.latencyReservedShare` if interactive demand has grown for good, or raise the project quota.',
        'For `rpd`, the daily budget is spent: shift batch work to the next day or to the Batch API.',
        'Check the cache hit ratio: a cache that stopped hitting sends more interactive requests upstream.',
      ],
    },
  });
}

function costOverBudget(ctx: RuleContext): AlertDefinition {
  const budget = ctx.config.alerts.costBudgetUsdPerHour;
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const hour = ctx.scaled('1h');
  return ticket(ctx, {
    suffix: 'CostOverBudget',
    off:
      budget > 0
        ? undefined
        : 'alerts.costBudgetUsdPerHour is 0; set it to the USD per hour the service may spend.',
    expr: `sum ${by(ctx)} (increase(${select(ctx, 'cost', [])}[${hour}]))\n> ${promqlNumber(budget)}`,
    for: holdFor(ctx),
    summary: `${job} spent {{ $value | printf "%.2f" }} USD on Gemini in the last hour, over its budget of ${promqlNumber(budget)} USD`,
    description: `Both lanes together spent {{ $value | printf "%.2f" }} USD over the last ${hour}, by the price table; alerts.costBudgetUsdPerHour is ${promqlNumber(budget)} USD.`,
    runbook: {
      meaning: `The service spent more than \`alerts.costBudgetUsdPerHour\`${budget > 0 ? ` (${promqlNumber(budget)} USD)` : ''} on Gemini within the last hour, counted by the price table (the built-in Gemini API prices plus \`pricing\` overrides).`,
      impact:
        "Money. Nobody is hurt yet, but a runaway job or a retry loop can spend a month's budget in a day.",
      dashboard: `${panelRef(ctx, 'Throughput', 'Cost per hour and projected per day')}, then ${panelRef(ctx, 'Throughput', 'Tokens per second by kind')} and ${panelRef(ctx, 'Throughput', 'Cost per 1M tokens')}.`,
      mitigation: [
        `Find the lane spending (\`${names.cost}\`) and the token kind that grew (\`${names.tokensByKind}\`): output and thinking tokens cost the most.`,
        'A job larger than planned: pause it (it resumes from its checkpoint) or move it to `batch-api` mode at half price.',
        'Thinking tokens grew: set a thinking budget on the requests. Cache hit ratio fell: check the latency lane cache.',
      ],
    },
  });
}

function batchJobStalled(ctx: RuleContext): AlertDefinition {
  const period = ctx.scaled(ctx.config.alerts.batchStallPeriod);
  const perInstance = by(ctx, SCRAPE.instance, LANE);
  const backlog = select(ctx, 'backlog', [equals('lane', 'throughput')]);
  // Queued at every sample of the period, and already queued when it began: a process that
  // just received work after an idle spell is not stalled.
  const queued = `min ${perInstance} (min_over_time(${backlog}[${period}])) > 0`;
  const queuedBefore = `min ${perInstance} (${backlog} offset ${period}) > 0`;
  const progress = `sum ${perInstance} (increase(${select(ctx, 'jobItems', [equals('lane', 'throughput')])}[${period}])) > 0`;
  const waitingOnBatchApi = `sum ${by(ctx, SCRAPE.instance)} (${select(ctx, 'batchJobs', [oneOf('batchState', ['pending', 'running'])])}) > 0`;
  const perInstanceOn = on(ctx, SCRAPE.instance, LANE);
  return ticket(ctx, {
    suffix: 'BatchJobStalled',
    expr: `${queued}\nand ${perInstanceOn}\n${queuedBefore}\nunless ${perInstanceOn}\n${progress}\nunless ${on(ctx, SCRAPE.instance)}\n${waitingOnBatchApi}`,
    for: holdFor(ctx),
    summary: `The ${lane} lane on ${instance} of ${job} has had work queued for ${period} without writing one item`,
    description: `At least {{ $value }} requests stayed queued in the ${lane} lane on ${instance} for the last ${period} (alerts.batchStallPeriod), and no job item was written, completed or failed.`,
    runbook: {
      meaning: `A throughput-lane process has had work queued for the whole of \`alerts.batchStallPeriod\` (${ctx.config.alerts.batchStallPeriod}) and wrote no job item, neither completed nor failed. Processes waiting on a Gemini Batch API job (state \`pending\` or \`running\`) are excluded: those jobs do their work at Google and report when they finish.`,
      impact:
        'The job makes no progress; its deadline slips silently. Nothing is lost: the job resumes from its checkpoint when restarted.',
      dashboard: `${panelRef(ctx, 'Throughput', 'Requests and concurrency limit')}, ${panelRef(ctx, 'Throughput', 'Retries and 429s')} and ${panelRef(ctx, 'Throughput', 'Batch jobs by state')}.`,
      mitigation: [
        'Every call retrying (429 or 5xx): see the rate-limit alert; the retry budget may be spent.',
        'No requests in flight at all: the job loop is stuck (blocked output stream, full disk for the checkpoint); take a stack dump, then restart the process: the job resumes from its checkpoint without duplicates.',
        'The daily quota (`rpd`) is spent: the job continues when it resets.',
      ],
    },
  });
}

function targetDown(ctx: RuleContext): AlertDefinition {
  const up = withMatchers(SCRAPE.up, ctx.serviceSelectors);
  return ticket(ctx, {
    suffix: 'TargetDown',
    expr: `${up} == 0`,
    for: holdFor(ctx),
    summary: `Prometheus cannot scrape ${instance} of ${job}`,
    description: `Scrapes of ${instance} (job ${job}) have failed for ${holdFor(ctx)}: its metrics, and every alert that reads them, are blind.`,
    runbook: {
      meaning:
        'Prometheus has a scrape target for the service, but scraping it fails: the process is down, its metrics port (the OpenTelemetry Prometheus exporter, 9464 by default) does not answer, or the network between them is broken.',
      impact:
        'Unknown: the alerts for that instance cannot see. If the process is down, its users are failing over to other replicas or failing.',
      dashboard: `Prometheus's own *Status → Targets* page shows the scrape error; ${panelRef(ctx, 'Overview', 'Requests')} shows whether the other instances still serve.`,
      mitigation: [
        'Check whether the process runs and listens on its metrics port (`curl http://<instance>/metrics`).',
        'A crash loop: read its logs; a configuration error makes `gemini-lanes validate` fail with the field named.',
        'Severity is a ticket because a failed scrape alone does not prove users are hurt (a replica can be down while others serve); pages come from the SLO burn alerts. Pair this with a black-box probe of the service if a total outage must page.',
      ],
    },
  });
}

function metricsAbsent(ctx: RuleContext): AlertDefinition {
  const name = seriesName(ctx.config.prometheus.naming, 'requests', 'value');
  const requests = withMatchers(name, ctx.serviceSelectors);
  const down = withMatchers(SCRAPE.up, ctx.serviceSelectors);
  return ticket(ctx, {
    suffix: 'MetricsAbsent',
    expr: `absent(${requests})\nunless on ()\n(${down} == 0)`,
    for: holdFor(ctx),
    summary: `Prometheus has no gemini-lanes metrics for ${job}`,
    description: `No series of ${name} for job ${job} for ${holdFor(ctx)}: the service is not running, not scraped under this job, or its telemetry is not registered.`,
    runbook: {
      meaning: `Prometheus holds no \`${name}\` series for the service's job (\`job\` = \`service\` (${ctx.config.service}) unless \`prometheus.selectors.job\` sets it), and no target of that job is failing (that would be the target-down alert). The counter starts at 0 when the telemetry is created, so a running, instrumented service always has it.`,
      impact:
        'Every other alert for this service is silent because it has nothing to read; an outage would go unnoticed.',
      dashboard: `Prometheus's *Status → Targets* page (is there a target with job ${ctx.config.service}?), then ${panelRef(ctx, 'Overview', 'Requests')}.`,
      mitigation: [
        'No target with this job: the scrape configuration lost it, or the job name differs from `service`; set the scrape job to the service name or set `prometheus.selectors.job`.',
        'The target is up but exposes no `gemini_lanes_*` series: the service does not create its telemetry (`createTelemetry`) or its lanes were not given it.',
        'The service was retired on purpose: remove these rules.',
      ],
    },
  });
}

/**
 * The symptom alerts; every one files a ticket. The throughput floor has rules only with
 * `lanes.throughput.floorTokensPerSecond` > 0, the cost alert only with
 * `alerts.costBudgetUsdPerHour` > 0, the quota-reserve alert only with
 * `quota.latencyReservedShare` > 0; otherwise they keep their runbook section, marked off.
 */
export function symptomAlerts(ctx: RuleContext): AlertDefinition[] {
  return [
    timeToFirstChunkHigh(ctx),
    rejectionRatioHigh(ctx),
    throughputBelowFloor(ctx),
    rateLimitStorm(ctx),
    latencyQuotaReserveExhausted(ctx),
    costOverBudget(ctx),
    batchJobStalled(ctx),
    targetDown(ctx),
    metricsAbsent(ctx),
  ];
}
