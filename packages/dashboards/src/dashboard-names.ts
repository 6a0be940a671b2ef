import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { dashboardUid } from './uid.js';

/** The three dashboards. */
export type DashboardKind = 'overview' | 'latency' | 'throughput';

export const DASHBOARD_KINDS: readonly DashboardKind[] = ['overview', 'latency', 'throughput'];

/** The file each dashboard is written to; fixed, whatever the name prefix, so deployments can rely on it. */
export const DASHBOARD_FILES = {
  overview: 'gemini-lanes-overview.json',
  latency: 'gemini-lanes-latency.json',
  throughput: 'gemini-lanes-throughput.json',
} as const satisfies Record<DashboardKind, string>;

export type DashboardFileName = (typeof DASHBOARD_FILES)[DashboardKind];

const TITLES: Record<DashboardKind, string> = {
  overview: 'Overview',
  latency: 'Latency',
  throughput: 'Throughput',
};

/** `Gemini Lanes / Latency`: the configured prefix, then the dashboard. */
export function dashboardTitle(config: GeminiLanesConfig, kind: DashboardKind): string {
  return `${config.dashboards.namePrefix} / ${TITLES[kind]}`;
}

/** The dashboard's uid, derived from its title, so it is stable across regenerations. */
export function uidOf(config: GeminiLanesConfig, kind: DashboardKind): string {
  return dashboardUid(dashboardTitle(config, kind));
}

const LINK_TITLES: Record<DashboardKind, string> = {
  overview: 'Overview',
  latency: 'Latency lane',
  throughput: 'Throughput lane',
};

/** The name a link to the dashboard shows. */
export function linkTitle(kind: DashboardKind): string {
  return LINK_TITLES[kind];
}
