import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { StoreGauges } from './metrics.js';

/** The /healthz body: store sync state. */
export interface HealthReport {
  /** "ok" once records are loaded, else "not ready". */
  readonly status: 'ok' | 'not ready';
  /** The first load finished. */
  readonly ready: boolean;
  /** The etcd watch is connected. */
  readonly etcdConnected: boolean;
  /** Records held. */
  readonly records: number;
  /** Seconds since the data was confirmed current, or null before the first load. */
  readonly lastSyncAgeSeconds: number | null;
}

/** The health of the store as /healthz reports it. */
function healthReport(store: StoreGauges, now = Date.now()): HealthReport {
  return {
    status: store.ready ? 'ok' : 'not ready',
    ready: store.ready,
    etcdConnected: store.connected,
    records: store.size,
    lastSyncAgeSeconds: store.lastSync === 0 ? null : Math.round((now - store.lastSync) / 100) / 10,
  };
}

/**
 * HTTP for operators: `<metricsPath>` (Prometheus), `/healthz` and `/readiness` (200 once the
 * records are loaded — serving last good data while etcd is away still counts — else 503).
 */
export function startHttp(
  port: number,
  host: string,
  metricsPath: string,
  registry: Registry,
  store: () => StoreGauges,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === metricsPath) {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        });
      return;
    }
    if (path === '/healthz' || path === '/readiness') {
      const report = healthReport(store());
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(report)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found; try ${metricsPath} or /healthz\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
