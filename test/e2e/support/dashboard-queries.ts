import {
  alignRange,
  type InterpolationContext,
  interpolateExpr,
  queryTiming,
  type TemplateVariable,
  type VariableSelection,
} from './grafana-interpolate.ts';

interface TargetJson {
  refId?: string;
  expr?: string;
  instant?: boolean;
  range?: boolean;
  hide?: boolean;
  interval?: string;
}

interface PanelJson {
  id?: number;
  type?: string;
  title?: string;
  interval?: string;
  maxDataPoints?: number;
  targets?: TargetJson[];
  panels?: PanelJson[];
}

/** The part of a Grafana dashboard's JSON model the queries come from. */
export interface DashboardJson {
  uid?: string;
  title?: string;
  panels?: PanelJson[];
  templating?: { list?: TemplateVariable[] };
}

/** One panel query, interpolated and sized as Grafana would run it. */
export interface DashboardQuery {
  /** `<dashboard uid> › <panel title> › <refId>`, plus ` (instant)` for a target that runs both ways. */
  key: string;
  dashboard: string;
  panel: string;
  panelId: number;
  refId: string;
  kind: 'range' | 'instant';
  /** The expression as the dashboard stores it. */
  expr: string;
  /** The PromQL Grafana sends. */
  promql: string;
  /** Unix seconds: the aligned range of a range query; `end` is the evaluation time of an instant one. */
  start: number;
  end: number;
  /** Seconds. */
  step: number;
}

/** The test's view of a dashboard: time range, panel width and the data source's scrape interval. */
export interface DashboardQueryOptions {
  /** Unix milliseconds. */
  from: number;
  to: number;
  /** Selections replacing the dashboards' saved ones (`service`: the test's job). */
  selections?: Readonly<Record<string, VariableSelection>>;
  /** Max data points of a panel that sets none (Grafana uses the panel's width in pixels). */
  maxDataPoints: number;
  /** The data source's scrape interval setting. */
  scrapeIntervalMs: number;
}

function parseMinInterval(text: string): number {
  const match = /^>?(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null)
    throw new Error(`panel min interval ${JSON.stringify(text)} is not supported`);
  const size = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms'];
  return Number(match[1]) * size;
}

function* panelsOf(panels: readonly PanelJson[] | undefined): Generator<PanelJson> {
  for (const panel of panels ?? []) {
    yield panel;
    // A collapsed row keeps its panels inside it.
    yield* panelsOf(panel.panels);
  }
}

/**
 * Every query of every panel of the dashboards (JSON models, by file name), interpolated for
 * the given selections and time range as Grafana would run it: range targets as range queries
 * over the aligned range, instant targets at the range's end. Hidden targets are skipped, as
 * Grafana skips them.
 */
export function dashboardQueries(
  dashboards: Readonly<Record<string, unknown>>,
  options: DashboardQueryOptions,
): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const [file, model] of Object.entries(dashboards)) {
    // The JSON Grafana loads, whatever builder objects produced it.
    const dashboard = JSON.parse(JSON.stringify(model)) as DashboardJson;
    const uid = dashboard.uid ?? file;
    const variables = dashboard.templating?.list ?? [];
    for (const panel of panelsOf(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        if (target.hide === true || target.expr === undefined) continue;
        if (target.interval !== undefined && target.interval !== '') {
          throw new Error(`${uid} › ${panel.title}: a target min step is not supported`);
        }
        const timing = queryTiming({
          from: options.from,
          to: options.to,
          maxDataPoints: panel.maxDataPoints ?? options.maxDataPoints,
          scrapeIntervalMs: options.scrapeIntervalMs,
          ...(panel.interval ? { minIntervalMs: parseMinInterval(panel.interval) } : {}),
        });
        const ctx: InterpolationContext = {
          variables,
          timing,
          ...(options.selections ? { selections: options.selections } : {}),
        };
        const promql = interpolateExpr(target.expr, ctx);
        const refId = target.refId ?? 'A';
        const title = panel.title ?? `panel ${panel.id}`;
        const kinds: Array<'range' | 'instant'> = [];
        if (target.range === true || target.instant !== true) kinds.push('range');
        if (target.instant === true) kinds.push('instant');
        for (const kind of kinds) {
          const suffix = kinds.length > 1 && kind === 'instant' ? ' (instant)' : '';
          const aligned = alignRange(options.from, options.to, timing.stepMs);
          out.push({
            key: `${uid} › ${title} › ${refId}${suffix}`,
            dashboard: uid,
            panel: title,
            panelId: panel.id ?? 0,
            refId,
            kind,
            expr: target.expr,
            promql,
            start: kind === 'range' ? aligned.startMs / 1000 : options.from / 1000,
            end: kind === 'range' ? aligned.endMs / 1000 : options.to / 1000,
            step: timing.stepMs / 1000,
          });
        }
      }
    }
  }
  return out;
}
