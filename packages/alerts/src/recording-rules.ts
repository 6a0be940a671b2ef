import { ATTR, labelName, VALUES } from '@gemini-lanes/core';
import { equals, errorTypeIsNot, oneOf, withoutError } from './label-matcher.js';
import { RECORDED_QUANTILES, recordNames } from './record-names.js';
import type { RuleContext } from './rule-context.js';
import type { RecordingRule, RuleGroup } from './rule-types.js';
import { SCRAPE } from './scrape-labels.js';
import { by, select } from './series-selector.js';

const LANE = labelName(ATTR.lane);

/**
 * Per-lane rates and percentiles over `prometheus.rateInterval`: requests (all and by outcome),
 * failed operations by `error.type`, rejections and retries by reason, tokens (all and by kind),
 * cost, and p50/p95/p99 of time to first chunk and of unary duration. The symptom alerts and the
 * dashboards read these instead of raw series.
 */
export function recordingRules(ctx: RuleContext): RuleGroup {
  const { naming, rateInterval } = ctx.config.prometheus;
  const names = recordNames(naming, rateInterval);
  const range = ctx.scaled(rateInterval);
  const sumRate = (selector: string, ...labels: string[]) =>
    `sum ${by(ctx, LANE, ...labels)} (rate(${selector}[${range}]))`;
  // The gen_ai histograms are semantic-convention names other instrumentations emit too: only
  // series with one of our lanes belong to these rules.
  const ourLanes = oneOf('lane', VALUES.lane);

  const rules: RecordingRule[] = [
    { record: names.requests, expr: sumRate(select(ctx, 'requests', [])) },
    {
      record: names.requestsByOutcome,
      expr: sumRate(select(ctx, 'requests', []), labelName(ATTR.outcome)),
    },
    {
      record: names.errorsByType,
      expr: sumRate(
        select(ctx, 'operationDuration', [ourLanes, errorTypeIsNot('')], 'count'),
        labelName(ATTR.errorType),
      ),
    },
    {
      record: names.rejectionsByReason,
      expr: sumRate(select(ctx, 'rejections', []), labelName(ATTR.rejectionReason)),
    },
    {
      record: names.retriesByReason,
      expr: sumRate(select(ctx, 'retries', []), labelName(ATTR.retryReason)),
    },
    { record: names.tokens, expr: sumRate(select(ctx, 'tokens', [])) },
    {
      record: names.tokensByKind,
      expr: sumRate(select(ctx, 'tokens', []), labelName(ATTR.tokenKind)),
    },
    { record: names.cost, expr: sumRate(select(ctx, 'cost', [])) },
  ];
  for (const q of RECORDED_QUANTILES) {
    rules.push({
      record: names.timeToFirstChunk(q),
      expr: `histogram_quantile(${q}, ${sumRate(
        select(ctx, 'timeToFirstChunk', [ourLanes, withoutError()], 'bucket'),
        SCRAPE.le,
      )})`,
    });
  }
  for (const q of RECORDED_QUANTILES) {
    rules.push({
      record: names.unaryDuration(q),
      expr: `histogram_quantile(${q}, ${sumRate(
        select(
          ctx,
          'operationDuration',
          [
            ourLanes,
            equals('operationName', 'generate_content'),
            equals('requestStream', 'false'),
            withoutError(),
          ],
          'bucket',
        ),
        SCRAPE.le,
      )})`,
    });
  }
  return { name: 'gemini-lanes.rates', rules };
}
