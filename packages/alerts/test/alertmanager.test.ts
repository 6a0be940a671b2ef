import { defineConfig } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULE_FILE_NAMES, ruleFiles } from '../src/index.js';

interface Route {
  receiver: string;
  group_by?: string[];
  matchers?: string[];
  routes?: Route[];
}
interface AlertmanagerConfig {
  route: Route;
  inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
  receivers: Array<{ name: string }>;
}

const example = (input = {}) =>
  parse(ruleFiles(defineConfig(input))[RULE_FILE_NAMES.alertmanager]) as AlertmanagerConfig;

describe('alertmanager.example.yml', () => {
  it('pages on critical, files tickets on warning, grouped by alert name, service and lane', () => {
    const am = example();
    expect(am.route.group_by).toEqual(['alertname', 'job', 'gemini_lanes_lane']);
    expect(am.route.routes?.map((r) => [r.matchers, r.receiver])).toEqual([
      [['severity="critical"'], 'pager'],
      [['severity="warning"'], 'ticket'],
    ]);
    expect(am.receivers.map((r) => r.name)).toEqual(['pager', 'ticket']);
    // A fast burn also trips the slow windows: the page silences the ticket of the same alert.
    expect(am.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['alertname', 'job', 'gemini_lanes_lane'],
      },
    ]);
  });

  it('routes the configured severity labels', () => {
    const am = example({ alerts: { severities: { page: 'p1', ticket: 'p3' } } });
    expect(am.route.routes?.map((r) => r.matchers?.[0])).toEqual([
      'severity="p1"',
      'severity="p3"',
    ]);
    expect(am.inhibit_rules[0]?.source_matchers).toEqual(['severity="p1"']);
  });
});
