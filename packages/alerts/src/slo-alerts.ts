import { ATTR, burnRateWindows, labelName, promqlNumber } from '@gemini-lanes/core';
import { alertName, labelTemplate, runbookUrl, severity } from './alert-naming.js';
import { panelRef } from './dashboard-links.js';
import { formatDuration, parseDuration } from './duration.js';
import { equals, rawEquals } from './label-matcher.js';
import { recordNames } from './record-names.js';
import type { RuleContext } from './rule-context.js';
import type { AlertDefinition, AlertingRule, RunbookEntry } from './rule-types.js';
import { SCRAPE } from './scrape-labels.js';
import { by, on, withMatchers } from './series-selector.js';
import { countedRequests, SLO_LABEL, type Sli, type SloKind, slis } from './sli.js';

const LANE = labelName(ATTR.lane);

/** Labels telling the four window pairs of one burn-rate alert apart. */
export const WINDOW_LABELS = { long: 'long_window', short: 'short_window' } as const;

const percent = (ratio: number) => `${promqlNumber(ratio * 100)}%`;

/** What counts as a bad event, as the description says it. */
function badEvents(ctx: RuleContext, sli: Sli): string {
  if (sli.slo === 'availability') {
    return `of the ${labelTemplate(LANE)} lane's requests failed, were rejected or timed out`;
  }
  const { sla } = ctx.config.lanes.latency;
  return `of the ${labelTemplate(LANE)} lane's generate_content calls missed the SLA (first chunk after ${sla.ttftMs}ms for streams, done after ${sla.durationMs}ms for unary calls), failed, were rejected or timed out`;
}

/**
 * The SRE workbook's multiwindow, multi-burn-rate alerts for one SLI: one rule per window pair,
 * each firing when the error ratio over both the long and the short window exceeds factor ×
 * budget. Factors follow from the SLO window (core's `burnRateWindows`). The paging pairs also
 * need `pageMinRequestsPerHour` × (long window in hours) counted requests in the long window, so
 * a single failure in a quiet hour cannot page. Each pair holds for half its short window.
 */
function burnRules(ctx: RuleContext, sli: Sli, alert: string): AlertingRule[] {
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const budget = Number((1 - sli.target).toPrecision(12));
  const ratio = (window: string) =>
    withMatchers(names.sliErrorRatio(window), [
      ...ctx.selectors,
      equals('lane', sli.lane),
      rawEquals(SLO_LABEL, sli.slo),
    ]);
  return burnRateWindows(sli.window).map((w) => {
    const threshold = `(${promqlNumber(w.factor)} * ${promqlNumber(budget)})`;
    const burning = `${ratio(w.long)} > ${threshold}\nand\n${ratio(w.short)} > ${threshold}`;
    const long = ctx.scaled(w.long);
    const short = ctx.scaled(w.short);
    let expr = burning;
    if (w.severity === 'page') {
      const hours = parseDuration(w.long) / 3_600_000;
      const minimum = promqlNumber(sli.pageMinRequestsPerHour * hours);
      const traffic = `sum ${by(ctx, LANE)} (increase(${countedRequests(ctx, [sli.lane])}[${long}]))`;
      expr = `(\n${indent(burning)}\n)\nand ${on(ctx, LANE)}\n${traffic} >= ${minimum}`;
    }
    return {
      alert,
      expr,
      for: ctx.scaled(formatDuration(parseDuration(w.short) / 2)),
      labels: {
        severity: severity(ctx, w.severity),
        // The series carries the lane already; as a rule label it also tells the rules apart.
        [LANE]: sli.lane,
        [WINDOW_LABELS.long]: w.long,
        [WINDOW_LABELS.short]: w.short,
      },
      annotations: {
        summary: `The ${labelTemplate(LANE)} lane of ${labelTemplate(SCRAPE.job)} is burning its ${sli.slo} error budget at over ${promqlNumber(w.factor)}× the sustainable rate`,
        description: `{{ $value | humanizePercentage }} ${badEvents(ctx, sli)} over the last ${long} (and still over the last ${short}); the ${percent(sli.target)} ${sli.slo} objective allows ${percent(budget)}. At this rate ${percent(w.budgetSpent)} of the ${sli.window} error budget is gone within ${long}.`,
        runbook_url: runbookUrl(ctx, alert),
      },
    };
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function runbook(ctx: RuleContext, slo: SloKind, mine: readonly Sli[]): RunbookEntry {
  const lanes = mine.map((s) => s.lane);
  const windows = (kind: 'page' | 'ticket') => [
    ...new Set(
      mine.flatMap((s) =>
        burnRateWindows(s.window)
          .filter((w) => w.severity === kind)
          .map((w) => w.long),
      ),
    ),
  ];
  const { sla } = ctx.config.lanes.latency;
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const outcome = labelName(ATTR.outcome);
  const pages = `A \`${ctx.config.alerts.severities.page}\` rule (long window ${windows('page').join(' or ')}) pages: at that burn rate the budget is gone in days. A \`${ctx.config.alerts.severities.ticket}\` rule (${windows('ticket').join(' or ')}) files a ticket: the budget will run out before the window ends unless something changes. The \`${WINDOW_LABELS.long}\` and \`${WINDOW_LABELS.short}\` labels say which pair fired.`;
  if (slo === 'availability') {
    return {
      meaning: `Too many requests of the ${lanes.join(' or ')} lane end badly: an error from the upstream or the lane (\`${outcome}="error"\`), a rejection at admission (\`rejected\`: queue full, queue wait deadline, quota, shutdown) or a deadline that passed before the call was sent (\`timed_out\`). Cancelled requests do not count. ${pages}`,
      impact: `Callers of the lane get errors instead of answers. In the latency lane that is an interactive user seeing a failure; in the throughput lane it is job items written as failed (or retried until the retry budget runs out).`,
      dashboard: `${panelRef(ctx, 'Overview', 'SLO burn')} for the lane and window, then ${panelRef(ctx, 'Latency', 'Error ratio by error.type')} and ${panelRef(ctx, 'Latency', 'Rejections and timeouts')} to see which kind of bad event dominates.`,
      mitigation: [
        `Split the bad events by outcome (\`${names.requestsByOutcome}\`) and by \`error.type\` (\`${names.errorsByType}\`).`,
        'Errors with `error.type` 429 or `quota_exhausted`: the project quota is exhausted; see the rate-limit and quota alerts, lower throughput-lane concurrency or raise the quota.',
        'Errors 5xx or `timeout` from the upstream: check the Gemini API status; a `lanes.latency.fallbackModel` moves the latency lane to another model.',
        'Rejections (`queue_full`, `overloaded`, `queue_timeout`): the lane is overloaded; add replicas or raise `lanes.latency.concurrency` only if the upstream can serve it within the SLA.',
        'After a deploy, roll back first and investigate after.',
      ],
    };
  }
  return {
    meaning: `Too many latency-lane \`generate_content\` calls miss the SLA: streams whose first chunk comes after \`lanes.latency.sla.ttftMs\` (${sla.ttftMs}ms), unary calls that take longer than \`lanes.latency.sla.durationMs\` (${sla.durationMs}ms), failed calls, and requests the lane rejected or let time out before sending them (so shedding load never makes the SLO look better). ${pages}`,
    impact: `Interactive users wait noticeably longer than promised for the first token or for the whole answer, or get no answer.`,
    dashboard: `${panelRef(ctx, 'Latency', 'Time to first chunk')} and ${panelRef(ctx, 'Latency', 'Operation duration')} against the SLA line, then ${panelRef(ctx, 'Latency', 'Queue wait')} and ${panelRef(ctx, 'Latency', 'Queue depth')}.`,
    mitigation: [
      'If queue wait and queue depth are high, the lane is saturated: add replicas, or shed the lowest priority first; raising `lanes.latency.concurrency` helps only if the upstream stays fast under the extra load.',
      'If queue wait is low but time to first chunk is high, the upstream is slow: check the Gemini API status and the model; a `lanes.latency.fallbackModel` or hedging (`lanes.latency.hedging`) cuts the tail.',
      "If the throughput lane is busy at the same time, check the latency lane's reserved quota share (`quota.latencyReservedShare`) and the 429 alerts.",
      'If only one endpoint is slow, it should be ejected; check `lanes.latency.endpoints`.',
    ],
  };
}

/** One burn-rate alert per SLO kind (availability, latency), with a rule per lane and window pair. */
export function sloAlerts(ctx: RuleContext): AlertDefinition[] {
  const kinds: ReadonlyArray<{ slo: SloKind; suffix: string }> = [
    { slo: 'availability', suffix: 'AvailabilityBudgetBurn' },
    { slo: 'latency', suffix: 'LatencyBudgetBurn' },
  ];
  return kinds.map(({ slo, suffix }) => {
    const alert = alertName(ctx, suffix);
    const mine = slis(ctx.config).filter((s) => s.slo === slo);
    return {
      alert,
      rules: mine.flatMap((sli) => burnRules(ctx, sli, alert)),
      runbook: runbook(ctx, slo, mine),
    };
  });
}
