import { listenLocal, readText } from './local-http-server.ts';
import type { Labels } from './prometheus-api.ts';

/** One alert inside an Alertmanager webhook notification. */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

/** An Alertmanager webhook notification (payload version 4) and where it was sent. */
export interface Notification {
  /** The receiver's path: `/page` or `/ticket` in the generated example. */
  path: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Labels;
  alerts: NotifiedAlert[];
}

/** Records every notification Alertmanager delivers to it. */
export interface WebhookReceiver {
  readonly url: string;
  readonly notifications: readonly Notification[];
  close(): Promise<void>;
}

/** A webhook receiver for Alertmanager on 127.0.0.1 that answers 200 and keeps what it got. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const notifications: Notification[] = [];
  const server = await listenLocal(async (request, response) => {
    const body = JSON.parse(await readText(request)) as Omit<Notification, 'path'>;
    notifications.push({ ...body, path: (request.url ?? '/').split('?')[0] ?? '/' });
    response.writeHead(200).end();
  });
  return { url: server.url, notifications, close: () => server.close() };
}
