import { Counter, Gauge, Registry } from 'prom-client';
import { servedResources } from './resources.js';
import type { ObjectStore } from './store.js';

/** Prometheus metrics of one sandbox (its own registry, so several servers can share a process). */
export class ApiMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Requests by verb (GET, LIST, WATCH, POST, PUT, PATCH, DELETE), resource and HTTP code, named as the real API server's. */
  readonly requests: Counter<'verb' | 'resource' | 'code'>;

  constructor(store: ObjectStore, openWatches: () => number) {
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'API requests by verb, resource and HTTP code.',
      labelNames: ['verb', 'resource', 'code'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Open watch streams.',
      registers: [this.registry],
      collect() {
        this.set(openWatches());
      },
    });
    new Gauge({
      name: 'sandbox_apiserver_objects',
      help: 'Stored objects by resource.',
      labelNames: ['resource'],
      registers: [this.registry],
      collect() {
        for (const def of servedResources(true)) this.set({ resource: def.plural }, store.count(def));
      },
    });
    new Gauge({
      name: 'sandbox_apiserver_resource_version',
      help: 'The newest resourceVersion (one global counter).',
      registers: [this.registry],
      collect() {
        this.set(store.resourceVersion);
      },
    });
  }
}
