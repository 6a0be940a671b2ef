import { defineConfig } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import {
  buildDashboards,
  DASHBOARD_FILES,
  dashboardFiles,
  PROVISIONING_FILE,
  PROVISIONING_PATH,
} from '../src/index.js';

describe('dashboardFiles', () => {
  const config = defineConfig({ dashboards: { namePrefix: 'Acme "AI"' } });
  const files = dashboardFiles(config);

  it('writes one pretty JSON per dashboard with a trailing newline, and the provisioning example', () => {
    expect(Object.keys(files).sort()).toEqual(
      [...Object.values(DASHBOARD_FILES), PROVISIONING_FILE].sort(),
    );
    const built = buildDashboards(config);
    for (const name of Object.values(DASHBOARD_FILES)) {
      const text = files[name] ?? '';
      expect(text.endsWith('}\n')).toBe(true);
      expect(text.split('\n')[1]).toMatch(/^ {2}"/);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(built[name])));
    }
  });

  it('provisions the dashboards from a file provider into a folder named after the prefix', () => {
    const yaml = files[PROVISIONING_FILE] ?? '';
    expect(yaml).toContain('apiVersion: 1\nproviders:\n');
    expect(yaml).toContain('    type: file\n');
    expect(yaml).toContain('    folder: "Acme \\"AI\\""\n');
    expect(yaml).toContain(`      path: "${PROVISIONING_PATH}"\n`);
    expect(yaml).toContain('    allowUiUpdates: false\n');
    for (const name of Object.values(DASHBOARD_FILES)) expect(yaml).toContain(`#   ${name}\n`);
  });
});
