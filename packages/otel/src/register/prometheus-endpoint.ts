import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

/** Where the Prometheus metrics are served. */
export interface PrometheusOptions {
  /** Default `OTEL_EXPORTER_PROMETHEUS_HOST`, else `127.0.0.1`: not facing the network unless asked. */
  host?: string;
  /** Default `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464; 0 picks a free port. */
  port?: number;
  /** Default `/metrics`. */
  endpoint?: string;
}

/** A Prometheus exporter and the HTTP server in front of it. */
export interface PrometheusEndpoint {
  readonly exporter: PrometheusExporter;
  /** `http://host:port/metrics`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

function envPort(): number | undefined {
  const raw = process.env.OTEL_EXPORTER_PROMETHEUS_PORT?.trim();
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(
      `OTEL_EXPORTER_PROMETHEUS_PORT must be a port number (got ${JSON.stringify(raw)})`,
    );
  }
  return port;
}

/**
 * Serves the real `@opentelemetry/exporter-prometheus` exporter's scrape handler from a server
 * this package binds, so the bound address is known (port 0 works) and a failure to bind is
 * an error `register()` reports rather than a callback it logs.
 */
export async function startPrometheusEndpoint(
  options: PrometheusOptions,
): Promise<PrometheusEndpoint> {
  const host = options.host ?? process.env.OTEL_EXPORTER_PROMETHEUS_HOST?.trim() ?? '127.0.0.1';
  const port = options.port ?? envPort() ?? 9464;
  const endpoint = options.endpoint ?? '/metrics';
  if (!endpoint.startsWith('/')) {
    throw new RangeError(
      `prometheus.endpoint must start with "/" (got ${JSON.stringify(endpoint)})`,
    );
  }
  const exporter = new PrometheusExporter({ preventServerStart: true, endpoint });
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === endpoint) {
      exporter.getMetricsRequestHandler(request, response);
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    exporter,
    url: `http://${shownHost}:${address.port}${endpoint}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
