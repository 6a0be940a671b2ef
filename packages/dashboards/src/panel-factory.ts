import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** A line drawn on a panel (and the colour from there up). */
export interface ThresholdStep {
  readonly value: number;
  readonly color: string;
}

/** One PromQL query of a panel. */
export interface PanelTarget {
  readonly expr: string;
  /** Grafana legend format, e.g. `p95 {{gemini_lanes_lane}}`. */
  readonly legend: string;
  /** Evaluate once at the end of the range (stats over `$__range`) instead of as a series. */
  readonly instant?: boolean;
}

/** What every panel must say: a title, what it shows, what healthy looks like, and a unit. */
export interface PanelSpec {
  readonly title: string;
  /** What the panel shows and how it is computed, in one or two sentences. */
  readonly shows: string;
  /** What a healthy value looks like, for someone on call. */
  readonly healthy: string;
  /** A Grafana unit id (`s`, `percentunit`, `reqps`, `currencyUSD`, `short`, `suffix:…`). */
  readonly unit: string;
  readonly targets: readonly PanelTarget[];
  /** Grid width (of 24). */
  readonly width: number;
  readonly height?: number;
  /** Colour below the first threshold. */
  readonly base?: string;
  /** Lines drawn on the panel, from configuration values. */
  readonly thresholds?: readonly ThresholdStep[];
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
}

export interface TimeseriesSpec extends PanelSpec {
  /** Stack the series (their total is what a threshold is compared with). */
  readonly stacked?: boolean;
}

/** Where the panels' queries go: the `$datasource` variable or a pinned Prometheus uid. */
export interface PanelContext {
  readonly datasource: common.DataSourceRef;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The description every panel carries: what it shows, then what healthy looks like. */
export function panelDescription(spec: Pick<PanelSpec, 'shows' | 'healthy'>): string {
  return `${spec.shows} Healthy: ${spec.healthy}`;
}

function queries(
  ctx: PanelContext,
  targets: readonly PanelTarget[],
): prometheus.DataqueryBuilder[] {
  return targets.map((t, i) => {
    const query = new prometheus.DataqueryBuilder()
      .datasource(ctx.datasource)
      .refId(REF_IDS[i] ?? `Q${i}`)
      .expr(t.expr)
      .legendFormat(t.legend);
    return t.instant === true ? query.instant() : query.range();
  });
}

function thresholds(spec: PanelSpec): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([
      { value: null, color: spec.base ?? 'green' },
      ...(spec.thresholds ?? []).map((t) => ({ value: t.value, color: t.color })),
    ]);
}

/** A time series panel; thresholds are drawn as dashed lines. */
export function timeseriesPanel(ctx: PanelContext, spec: TimeseriesSpec): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(panelDescription(spec))
    .datasource(ctx.datasource)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height ?? 8)
    .targets(queries(ctx, spec.targets))
    .lineWidth(1)
    .fillOpacity(spec.stacked === true ? 30 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
  if (spec.stacked === true) {
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  }
  if (spec.thresholds !== undefined && spec.thresholds.length > 0) {
    panel
      .thresholds(thresholds(spec))
      .thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
      );
  }
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  return panel;
}

/** A single-value panel, coloured by its thresholds. */
export function statPanel(ctx: PanelContext, spec: PanelSpec): stat.PanelBuilder {
  const instant = spec.targets.every((t) => t.instant === true);
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .description(panelDescription(spec))
    .datasource(ctx.datasource)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height ?? 5)
    .targets(queries(ctx, spec.targets))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(instant ? common.BigValueGraphMode.None : common.BigValueGraphMode.Area)
    .textMode(common.BigValueTextMode.Auto)
    .thresholds(thresholds(spec));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  return panel;
}
