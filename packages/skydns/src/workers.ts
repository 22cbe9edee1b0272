import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { LogFn } from '@kube-dns-legacy/processkit';
import { AggregatorRegistry, type Registry } from '@kube-dns-legacy/processkit/metrics';
import { ConfigError, type SkydnsConfig } from './config.js';
import { startHttp, type HealthSource, type Replies, type WorkerHealth } from './health.js';
import type { StoreGauges } from './metrics.js';

/** The primary asks a worker for its store state; the worker answers with HEALTH_REPLY. */
const HEALTH_REQUEST = 'skydns:health-request';
const HEALTH_REPLY = 'skydns:health';
/** Environment the primary gives each worker: its number. */
const WORKER_ENV = 'SKYDNS_WORKER';
/** How long the primary waits for a worker's state before counting it as not ready. */
const HEALTH_TIMEOUT_MS = 1000;
/** How long a stopping worker may take before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** What a worker process is told by the primary (undefined in a process that is no worker). */
export interface WorkerRole {
  /** Worker number, from 1. */
  readonly worker: number;
}

/** This process's role when it is a worker of `-workers`, else undefined. */
export function workerRole(env: NodeJS.ProcessEnv = process.env): WorkerRole | undefined {
  return cluster.isWorker ? { worker: Number(env[WORKER_ENV] ?? 0) } : undefined;
}

interface HealthRequest {
  readonly type: typeof HEALTH_REQUEST;
  readonly id: number;
}

interface HealthReply {
  readonly type: typeof HEALTH_REPLY;
  readonly id: number;
  readonly store: StoreGauges;
  readonly replies: Replies;
}

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/**
 * In a worker: hand the primary this worker's metrics (prom-client's cluster protocol) and store
 * state when it asks.
 */
export function serveWorkerState(
  registry: Registry | undefined,
  gauges: () => StoreGauges,
  replies: () => Replies,
): void {
  if (registry !== undefined) {
    new AggregatorRegistry(); // adds the worker's listener for the primary's metric requests
    AggregatorRegistry.setRegistries([registry]);
  }
  process.on('message', (m: unknown) => {
    if (!isMessage<HealthRequest>(m, HEALTH_REQUEST)) return;
    const reply: HealthReply = { type: HEALTH_REPLY, id: m.id, store: gauges(), replies: replies() };
    process.send?.(reply);
  });
}

/** A running primary of `-workers N`. */
export interface RunningWorkers {
  /** Stop every worker (SIGTERM, then SIGKILL after 10 s) and the HTTP endpoint. */
  close(): Promise<void>;
}

/**
 * The primary of `-workers N`: forks N workers of this same program, each a whole skydns with its
 * own etcd watch and copy of the records, all on one port (UDP: SO_REUSEPORT, the kernel spreads
 * senders over the workers; TCP: the cluster module hands connections round-robin). The primary
 * holds no records; it serves /metrics (the workers' metrics, summed) and /healthz (ready when
 * every worker is), restarts a worker that dies, and stops them all on close.
 */
export async function startWorkers(config: SkydnsConfig, log: LogFn): Promise<RunningWorkers> {
  const workers = new Map<number, Worker>();
  let stopping = false;
  let requests = 0;
  const pending = new Map<number, { replies: Map<number, HealthReply>; done: () => void }>();
  cluster.on('message', (worker, m: unknown) => {
    if (!isMessage<HealthReply>(m, HEALTH_REPLY)) return;
    const request = pending.get(m.id);
    if (request === undefined) return;
    request.replies.set(worker.id, m);
    if (request.replies.size >= workers.size) request.done();
  });

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    workers.set(index, worker);
    worker.on('exit', (code, signal) => {
      if (workers.get(index) === worker) workers.delete(index);
      if (stopping) return;
      log('error', 'a DNS worker exited; starting another in 1 s', { worker: index, code, signal });
      setTimeout(() => {
        if (!stopping && !workers.has(index)) fork(index);
      }, 1000);
    });
    return worker;
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...workers.values()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) {
              resolve();
              return;
            }
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  };

  // Start: every worker must bind; one that exits first (a port in use, etcd config it rejects) stops them all.
  try {
    await Promise.all(
      Array.from({ length: config.workers }, (_, i) => {
        const worker = fork(i + 1);
        return new Promise<void>((resolve, reject) => {
          const exited = (code: number | null): void =>
            reject(new ConfigError(`DNS worker ${i + 1} exited with ${code} before it listened (see its log above)`));
          worker.once('exit', exited);
          worker.once('listening', () => {
            worker.off('exit', exited);
            resolve();
          });
        });
      }),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }

  const health = async (): Promise<HealthSource> => {
    const id = requests++;
    const replies = new Map<number, HealthReply>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HEALTH_TIMEOUT_MS);
      pending.set(id, {
        replies,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const worker of workers.values()) if (worker.isConnected()) worker.send({ type: HEALTH_REQUEST, id });
    });
    pending.delete(id);
    const each: WorkerHealth[] = [];
    for (const [index, worker] of [...workers].sort(([a], [b]) => a - b)) {
      const reply = replies.get(worker.id);
      if (reply !== undefined)
        each.push({ worker: index, pid: worker.process.pid ?? 0, store: reply.store, replies: reply.replies });
    }
    const stores = each.map((w) => w.store);
    const all = stores.length === config.workers;
    return {
      size: stores.length === 0 ? 0 : Math.min(...stores.map((s) => s.size)),
      ready: all && stores.every((s) => s.ready),
      connected: all && stores.every((s) => s.connected),
      lastSync: stores.length === 0 ? 0 : Math.min(...stores.map((s) => s.lastSync)),
      workers: each,
    };
  };

  let http: Server | undefined;
  if (config.metricsPort !== undefined) {
    const aggregate = new AggregatorRegistry();
    try {
      http = await startHttp(
        config.metricsPort,
        '0.0.0.0',
        config.metricsPath,
        { contentType: aggregate.contentType, metrics: () => aggregate.clusterMetrics() },
        health,
      );
    } catch (err) {
      await stopAll();
      throw new ConfigError(`cannot serve metrics on port ${config.metricsPort}: ${(err as Error).message}`);
    }
    log('info', 'metrics enabled, summed over the workers', {
      port: config.metricsPort,
      path: config.metricsPath,
      health: '/healthz',
    });
  }
  log('info', `${config.workers} DNS workers on ${config.addr.host}:${config.addr.port}`, {
    pids: [...workers.values()].map((w) => w.process.pid),
  });
  return {
    async close(): Promise<void> {
      await stopAll();
      await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
    },
  };
}
