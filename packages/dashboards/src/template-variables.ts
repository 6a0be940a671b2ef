import {
  ATTR,
  type GeminiLanesConfig,
  type Lane,
  labelName,
  SERVICE_LABEL,
  serviceJob,
  VALUES,
} from '@gemini-lanes/core';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { equalsVariable, rawEquals } from './label-matcher.js';
import { seriesName, targetSelectors } from './series-selector.js';
import { VARIABLE } from './template-variable-names.js';

/** Grafana's value for "All" in a multi-value variable. */
export const ALL_VALUE = '$__all';

/**
 * What the model variable's All expands to. `.*` rather than the list of known models: counters
 * pre-initialised per lane and outcome carry no model label, and a new model shows up without
 * a dashboard reload.
 */
export const MODEL_ALL_VALUE = '.*';

/** A series that exists as soon as a lane starts (pre-initialised per lane and outcome). */
function presenceSeries(config: GeminiLanesConfig, withService: boolean): string {
  const matchers = withService ? [equalsVariable(SERVICE_LABEL, VARIABLE.service)] : [];
  for (const [label, value] of targetSelectors(config)) matchers.push(rawEquals(label, value));
  const name = seriesName(config, 'requests', 'value');
  return matchers.length === 0 ? name : `${name}{${matchers.join(', ')}}`;
}

function datasourceVariable(config: GeminiLanesConfig): cog.Builder<dashboard.VariableModel> {
  const variable = new dashboard.DatasourceVariableBuilder(VARIABLE.datasource)
    .label('Data source')
    .type('prometheus');
  const pinned = config.dashboards.datasourceUid;
  if (pinned === undefined) {
    return variable.description('The Prometheus that scrapes the services.');
  }
  // Pinned by configuration: the panels name the uid directly; the variable stays (hidden) so
  // panels a user adds with ${datasource} keep working.
  return variable
    .description(`Pinned by dashboards.datasourceUid to ${pinned}.`)
    .current({ text: pinned, value: pinned })
    .hide(dashboard.VariableHide.HideVariable);
}

function serviceVariable(
  config: GeminiLanesConfig,
  datasource: common.DataSourceRef,
): cog.Builder<dashboard.VariableModel> {
  const query = `label_values(${presenceSeries(config, false)}, ${SERVICE_LABEL})`;
  return new dashboard.QueryVariableBuilder(VARIABLE.service)
    .label('Service')
    .description(
      'The scrape job of the service (by convention its service.name; an OpenTelemetry Collector sets job from service.name).',
    )
    .datasource(datasource)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(false)
    .current({ text: serviceJob(config), value: serviceJob(config) });
}

function laneVariable(selected: readonly Lane[]): cog.Builder<dashboard.VariableModel> {
  return new dashboard.CustomVariableBuilder(VARIABLE.lane)
    .label('Lane')
    .description('Lanes to show; several may be selected, and All expands to every lane.')
    .values(VALUES.lane.join(','))
    .multi(true)
    .includeAll(true)
    .current({ text: [...selected], value: [...selected] })
    .options([
      { text: 'All', value: ALL_VALUE, selected: false },
      ...VALUES.lane.map((lane) => ({
        text: lane,
        value: lane,
        selected: selected.includes(lane),
      })),
    ]);
}

function modelVariable(
  config: GeminiLanesConfig,
  datasource: common.DataSourceRef,
): cog.Builder<dashboard.VariableModel> {
  const query = `label_values(${presenceSeries(config, true)}, ${labelName(ATTR.requestModel)})`;
  return new dashboard.QueryVariableBuilder(VARIABLE.model)
    .label('Model')
    .description('Requested models (gen_ai.request.model); several may be selected.')
    .datasource(datasource)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(MODEL_ALL_VALUE)
    .current({ text: ['All'], value: [ALL_VALUE] });
}

/**
 * The dashboards' variables, in the order they appear: data source, service, lane (when the
 * dashboard has one; `selected` is its default), model.
 */
export function templateVariables(
  config: GeminiLanesConfig,
  datasource: common.DataSourceRef,
  lanes: readonly Lane[] | 'none',
): cog.Builder<dashboard.VariableModel>[] {
  return [
    datasourceVariable(config),
    serviceVariable(config, datasource),
    ...(lanes === 'none' ? [] : [laneVariable(lanes)]),
    modelVariable(config, datasource),
  ];
}
