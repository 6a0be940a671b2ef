/** Ways an on-call engineer sets the variables, applied to a generated dashboard's own variable models. */
import type { GeminiLanesConfig } from '@gemini-lanes/core';
import type { GrafanaDashboard } from '../src/index.js';
import { knownModels } from '../src/validate-input.js';
import { ALL, type VariableModelLike, type VariableSelection } from './grafana-interpolation.js';

export interface SelectionCase {
  readonly name: string;
  readonly service: string;
  readonly lane: readonly string[];
  readonly model: readonly string[];
}

/** All lanes and models; one of each; several of each (with a job name that needs escaping in a regex). */
export function selectionCases(config: GeminiLanesConfig): SelectionCase[] {
  const models = knownModels(config);
  return [
    { name: 'All', service: config.service, lane: [ALL], model: [ALL] },
    { name: 'one each', service: config.service, lane: ['latency'], model: models.slice(0, 1) },
    {
      name: 'several each',
      service: 'chat-api.prod',
      lane: ['latency', 'throughput'],
      model: models.slice(0, 2),
    },
  ];
}

function customOptions(model: { query?: unknown }): string[] {
  return typeof model.query === 'string' ? model.query.split(',').map((v) => v.trim()) : [];
}

/** The dashboard's variables with `selection` applied, keyed by name, for `interpolate`. */
export function variablesFor(
  dashboard: GrafanaDashboard,
  config: GeminiLanesConfig,
  selection: SelectionCase,
): Map<string, VariableSelection> {
  const out = new Map<string, VariableSelection>();
  for (const v of dashboard.templating.list ?? []) {
    const model: VariableModelLike = {
      name: v.name,
      multi: v.multi,
      includeAll: v.includeAll,
      allValue: v.allValue,
    };
    switch (v.name) {
      case 'service':
        out.set(v.name, { model, value: selection.service });
        break;
      case 'lane':
        out.set(v.name, { model, value: selection.lane, options: customOptions(v) });
        break;
      case 'model':
        out.set(v.name, { model, value: selection.model, options: knownModels(config) });
        break;
      default:
        break;
    }
  }
  return out;
}
