import { parse, stringify } from 'yaml';

/** Alertmanager's grouping timers, compressed for a test (the example waits 30 s and 5 m). */
export interface NotificationTimings {
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

interface RouteNode {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteNode[];
  [key: string]: unknown;
}

interface AlertmanagerYaml {
  route: RouteNode;
  receivers: Array<{
    name: string;
    webhook_configs?: Array<{ url: string; [key: string]: unknown }>;
  }>;
  [key: string]: unknown;
}

function retime(route: RouteNode, timings: NotificationTimings, top: boolean): void {
  if (top || route.group_wait !== undefined) route.group_wait = timings.groupWait;
  if (top || route.group_interval !== undefined) route.group_interval = timings.groupInterval;
  if (top || route.repeat_interval !== undefined) route.repeat_interval = timings.repeatInterval;
  for (const child of route.routes ?? []) retime(child, timings, false);
}

/**
 * The generated `alertmanager.example.yml`, routing and inhibition unchanged, with its webhook
 * receivers pointed at `webhookUrl` (same paths: `/page`, `/ticket`) and its grouping timers
 * compressed, so a test sees the notification within seconds. Throws when the example has a
 * receiver that is not a webhook: the test could not observe it.
 */
export function localAlertmanagerConfig(
  exampleYaml: string,
  webhookUrl: string,
  timings: NotificationTimings,
): string {
  const config = parse(exampleYaml) as AlertmanagerYaml;
  retime(config.route, timings, true);
  for (const receiver of config.receivers) {
    if (receiver.webhook_configs === undefined || receiver.webhook_configs.length === 0) {
      throw new Error(`receiver ${receiver.name} of the example is not a webhook receiver`);
    }
    for (const webhook of receiver.webhook_configs) {
      const path = new URL(webhook.url).pathname;
      webhook.url = new URL(path, webhookUrl).href;
    }
  }
  return stringify(config);
}
