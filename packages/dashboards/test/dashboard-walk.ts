/** Reading generated dashboards in tests: panels, targets and variables, with no rows in between. */
import type { GrafanaDashboard } from '../src/index.js';

export interface PanelLike {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  targets?: {
    expr?: string;
    legendFormat?: string;
    refId?: string;
    datasource?: unknown;
    instant?: boolean;
  }[];
  datasource?: { type?: string; uid?: string };
  fieldConfig?: {
    defaults?: {
      unit?: string;
      thresholds?: { mode: string; steps: { value: number | null; color: string }[] };
      custom?: { thresholdsStyle?: { mode: string } };
    };
  };
  gridPos?: { x: number; y: number; w: number; h: number };
}

/** Every panel that is not a row, in order. */
export function panelsOf(dashboard: GrafanaDashboard): PanelLike[] {
  return (dashboard.panels ?? []).filter((p) => p.type !== 'row') as PanelLike[];
}

/** Row titles in order. */
export function rowsOf(dashboard: GrafanaDashboard): string[] {
  return (dashboard.panels ?? []).filter((p) => p.type === 'row').map((p) => p.title ?? '');
}

/** The panel with this title; fails loudly when there is none or several. */
export function panelTitled(dashboard: GrafanaDashboard, title: string | RegExp): PanelLike {
  const found = panelsOf(dashboard).filter((p) =>
    typeof title === 'string' ? p.title === title : title.test(p.title ?? ''),
  );
  if (found.length !== 1) {
    throw new Error(`${found.length} panels titled ${String(title)} in ${dashboard.title}`);
  }
  return found[0] as PanelLike;
}

/** Every query expression of a dashboard, with where it comes from. */
export function exprsOf(
  dashboard: GrafanaDashboard,
): { panel: string; refId: string; expr: string }[] {
  return panelsOf(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title ?? '',
      refId: t.refId ?? '',
      expr: t.expr ?? '',
    })),
  );
}

/** The threshold values a panel draws (the base step, which has no value, left out). */
export function thresholdValues(panel: PanelLike): number[] {
  return (panel.fieldConfig?.defaults?.thresholds?.steps ?? [])
    .map((s) => s.value)
    .filter((v): v is number => v !== null);
}

/** Every `name{...}` selector in an expression, with its matchers as written. */
export function selectorsIn(expr: string): { name: string; matchers: string }[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({
    name: m[1] as string,
    matchers: m[2] as string,
  }));
}
