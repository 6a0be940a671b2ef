import type { Labels } from './prometheus-api.ts';

/** An alert as Alertmanager's API v2 lists it. */
export interface AlertmanagerAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  receivers: Array<{ name: string }>;
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    inhibitedBy: string[];
    silencedBy: string[];
  };
}

/** Alertmanager's HTTP API v2, the part a test reads. */
export class AlertmanagerApi {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/$/, '');
  }

  /** Alerts Alertmanager holds, filtered by matchers such as `alertname="X"`. */
  async alerts(filter: readonly string[] = []): Promise<AlertmanagerAlert[]> {
    const query = new URLSearchParams();
    for (const matcher of filter) query.append('filter', matcher);
    const response = await fetch(`${this.url}/api/v2/alerts?${query}`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      throw new Error(
        `Alertmanager /api/v2/alerts: HTTP ${response.status} ${await response.text()}`,
      );
    }
    return (await response.json()) as AlertmanagerAlert[];
  }
}
