/** The dashboards' template variable names, referenced as `$name` in queries. */
export const VARIABLE = {
  datasource: 'datasource',
  service: 'service',
  lane: 'lane',
  model: 'model',
} as const;
