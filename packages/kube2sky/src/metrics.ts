import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from '@kube-dns-legacy/processkit/metrics';

/** Every Prometheus metric kube2sky exports, in one registry. */
export class Metrics {
  /** The registry served on /metrics. */
  readonly registry = new Registry();
  /** Watch events received, by resource kind and event type. */
  readonly events = new Counter({
    name: 'kube2sky_events_total',
    help: 'Watch events received, by kind and type.',
    labelNames: ['kind', 'type'] as const,
    registers: [this.registry],
  });
  /** etcd keys written. */
  readonly keysPut = new Counter({
    name: 'kube2sky_etcd_keys_put_total',
    help: 'etcd keys written (new or changed records).',
    registers: [this.registry],
  });
  /** etcd keys deleted. */
  readonly keysDeleted = new Counter({
    name: 'kube2sky_etcd_keys_deleted_total',
    help: 'etcd keys deleted (obsolete records).',
    registers: [this.registry],
  });
  /** etcd transactions committed. */
  readonly transactions = new Counter({
    name: 'kube2sky_etcd_transactions_total',
    help: 'etcd write transactions committed.',
    registers: [this.registry],
  });
  /** etcd request latency. */
  readonly etcdLatency = new Histogram({
    name: 'kube2sky_etcd_request_duration_seconds',
    help: 'etcd request latency, by operation.',
    labelNames: ['op'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  /** Errors, by kind (etcd, watch, object, configmap). */
  readonly errors = new Counter({
    name: 'kube2sky_errors_total',
    help: 'Errors and skipped input, by kind (etcd, watch, object, configmap: an invalid kube-dns ConfigMap).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Seconds since the oldest change not yet written to etcd (0 when etcd is up to date). */
  readonly syncLag: Gauge = new Gauge({
    name: 'kube2sky_sync_lag_seconds',
    help: 'Age of the oldest change not yet written to etcd; 0 when etcd is up to date.',
    registers: [this.registry],
    collect: (): void => this.syncLag.set(this.lagSource()),
  });
  /** Where the sync lag comes from (the reconciler), read at every scrape. */
  lagSource: () => number = () => 0;
  /** Records wanted by the current objects. */
  readonly desiredKeys = new Gauge({
    name: 'kube2sky_desired_keys',
    help: 'Records (etcd keys) wanted by the current objects.',
    registers: [this.registry],
  });
  /** Watches restarted after an error or a silence. */
  readonly watchRestarts = new Counter({
    name: 'kube2sky_watch_restarts_total',
    help: 'List/watch restarts after an error or a silent watch, by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  /** Complete lists of a resource, by why it was listed (start, expired: a 410 or a silent watch). */
  readonly lists = new Counter({
    name: 'kube2sky_lists_total',
    help: 'Complete lists of a resource, by reason (start, expired: 410 Gone or a silent watch).',
    labelNames: ['resource', 'reason'] as const,
    registers: [this.registry],
  });
  /** BOOKMARK events received (the server's progress notes on a quiet watch). */
  readonly bookmarks = new Counter({
    name: 'kube2sky_watch_bookmarks_total',
    help: 'BOOKMARK events received, by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  /** 1 while this replica leads (with --leader-elect), 0 while it follows; labelled with its identity. */
  readonly leader = new Gauge({
    name: 'kube2sky_leader',
    help: 'Whether this replica leads and writes to etcd (1) or follows (0), with --leader-elect.',
    labelNames: ['identity'] as const,
    registers: [this.registry],
  });
  /** Times this replica started leading. */
  readonly leaderTransitions = new Counter({
    name: 'kube2sky_leader_transitions_total',
    help: 'Times this replica started leading.',
    registers: [this.registry],
  });

  /** Also collect the Node.js process metrics (heap, event loop lag, file descriptors). */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }
}
