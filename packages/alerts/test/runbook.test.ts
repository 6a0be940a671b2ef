import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { buildRules, isAlertingRule, RULE_FILE_NAMES, ruleFiles } from '../src/index.js';

/** The runbook's `## Name` sections, by the anchor GitHub gives them (the heading in lowercase). */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const heading = part.slice(0, part.indexOf('\n'));
    expect(heading).toMatch(/^[A-Z][A-Za-z0-9]*$/); // one CamelCase word: the same anchor everywhere
    found.set(heading.toLowerCase(), part);
  }
  return found;
}

const configs: Record<string, GeminiLanesConfigInput> = {
  default: {},
  'opt-in alerts and a remote runbook': {
    alerts: {
      costBudgetUsdPerHour: 20,
      namePrefix: 'ChatApi',
      runbookBaseUrl: 'https://runbooks.example.com/chat-api.md',
    },
    lanes: { throughput: { floorTokensPerSecond: 500 } },
  },
};

describe('runbook.md', () => {
  for (const [name, input] of Object.entries(configs)) {
    it(`has a section for every alert's runbook_url (${name})`, () => {
      const config = defineConfig(input);
      const runbook = ruleFiles(config)[RULE_FILE_NAMES.runbook];
      const found = sections(runbook);
      const alerts = buildRules(config).flatMap((g) => g.rules.filter(isAlertingRule));
      expect(alerts.length).toBeGreaterThan(10);
      for (const alert of alerts) {
        const [base, anchor = ''] = alert.annotations.runbook_url.split('#');
        expect(base).toBe(config.alerts.runbookBaseUrl);
        const section = found.get(anchor);
        expect(section, `no section for ${alert.alert}`).toBeDefined();
        for (const part of ['**Meaning.**', '**Impact.**', '**Dashboard.**', '**Mitigation.**']) {
          expect(section).toContain(part);
        }
        expect(section).toContain(`\`${alert.labels.severity}\``);
        expect(section).toContain(alert.expr);
        expect(section).toContain(`*${config.dashboards.namePrefix} / `);
      }
    });
  }

  it('keeps the sections of alerts the configuration turns off, marked off', () => {
    const found = sections(ruleFiles(defineConfig({}))[RULE_FILE_NAMES.runbook]);
    for (const [alert, reason] of [
      ['geminilanescostoverbudget', 'alerts.costBudgetUsdPerHour is 0'],
      ['geminilanesthroughputbelowfloor', 'lanes.throughput.floorTokensPerSecond is 0'],
    ] as const) {
      expect(found.get(alert)).toContain(`**Off in this configuration:** ${reason}`);
    }
    expect(found.get('geminilanestimetofirstchunkhigh')).not.toContain('Off in this configuration');
    expect(found.size).toBe(11);
  });

  it('writes the configured thresholds into the sections', () => {
    const found = sections(
      ruleFiles(
        defineConfig({
          lanes: { latency: { sla: { ttftMs: 320, durationMs: 4000 } } },
          alerts: { rejectionRatio: 0.02 },
        }),
      )[RULE_FILE_NAMES.runbook],
    );
    expect(found.get('geminilaneslatencybudgetburn')).toContain('(320ms)');
    expect(found.get('geminilaneslatencybudgetburn')).toContain('(4000ms)');
    expect(found.get('geminilanesrejectionratiohigh')).toContain('(2%)');
  });
});
