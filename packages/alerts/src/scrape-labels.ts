import { SERVICE_LABEL } from '@gemini-lanes/core';

/**
 * What Prometheus itself adds to every scraped series; not part of the metric catalog. The
 * OpenTelemetry JS exporter puts `service.name` only on `target_info`, so a service is identified
 * by the scrape `job` (by convention equal to `service.name`; a Collector sets it the same way).
 */
export const SCRAPE = {
  /** The scrape job: the service. */
  job: SERVICE_LABEL,
  /** One scraped process. */
  instance: 'instance',
  /** 1 when the last scrape of a target succeeded, 0 when it failed. */
  up: 'up',
  /** A histogram bucket's upper bound. */
  le: 'le',
} as const;
