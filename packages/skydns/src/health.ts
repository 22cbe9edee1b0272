import { createServer, type Server } from 'node:http';
import type { StoreGauges } from './metrics.js';

/** Replies a worker sent, by transport (how the load spreads over the workers). */
export interface Replies {
  readonly udp: number;
  readonly tcp: number;
}

/** One worker's state as the primary's /healthz lists it (`-workers` above 1). */
export interface WorkerHealth {
  /** Worker number, from 1. */
  readonly worker: number;
  /** Its process ID. */
  readonly pid: number;
  /** Its store: loaded, connected, records. */
  readonly store: StoreGauges;
  /** Replies it sent. */
  readonly replies: Replies;
}

/** The store state /healthz reports: one process's, or the workers' together with each worker's. */
export interface HealthSource extends StoreGauges {
  /** Each worker's own state (only with workers). */
  readonly workers?: readonly WorkerHealth[];
}

/** Where /metrics comes from: a prom-client registry, or the workers' metrics aggregated. */
export interface MetricsSource {
  /** The exposition format's content type. */
  readonly contentType: string;
  /** The text to serve. */
  metrics(): Promise<string>;
}

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
  /** Each worker's records and readiness (`-workers` above 1). */
  readonly workers?: ReadonlyArray<{
    readonly worker: number;
    readonly pid: number;
    readonly ready: boolean;
    readonly etcdConnected: boolean;
    readonly records: number;
    readonly replies: Replies;
  }>;
}

/** The health of the store as /healthz reports it. */
function healthReport(store: HealthSource, now = Date.now()): HealthReport {
  const report: HealthReport = {
    status: store.ready ? 'ok' : 'not ready',
    ready: store.ready,
    etcdConnected: store.connected,
    records: store.size,
    lastSyncAgeSeconds: store.lastSync === 0 ? null : Math.round((now - store.lastSync) / 100) / 10,
  };
  if (store.workers === undefined) return report;
  return {
    ...report,
    workers: store.workers.map((w) => ({
      worker: w.worker,
      pid: w.pid,
      ready: w.store.ready,
      etcdConnected: w.store.connected,
      records: w.store.size,
      replies: w.replies,
    })),
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
  registry: MetricsSource,
  store: () => HealthSource | Promise<HealthSource>,
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
      Promise.resolve(store())
        .then((state) => {
          const report = healthReport(state);
          res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' });
          res.end(`${JSON.stringify(report)}\n`);
        })
        .catch((err: Error) => {
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end(`${err.message}\n`);
        });
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
