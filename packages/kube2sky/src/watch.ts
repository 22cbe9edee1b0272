import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type ListPromise } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { backoffDelay } from './backoff.js';
import type { Metrics } from './metrics.js';

/** A watch event as kube2sky handles it. */
export type ChangeType = 'add' | 'update' | 'delete';

/** What one resource watch needs. */
export interface ResourceWatchOptions<T extends KubernetesObject> {
  /** Short name for logs and metrics (`services`). */
  readonly resource: string;
  /** API path of the collection (`/api/v1/services`). */
  readonly path: string;
  /** Lists the whole collection. */
  readonly list: ListPromise<T>;
  /** Reduces each listed or watched object to what is needed before it is cached. */
  readonly project: (object: T) => T;
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `timeoutSeconds` of each watch request; a watch without any event for twice as long (+1 s) is re-listed. */
  readonly watchTimeoutSeconds: number;
  /** Called for every change, after the cache has been updated. */
  readonly onChange: (type: ChangeType, object: T) => void;
  /** Called once, after the first complete list has been delivered. */
  readonly onListed: () => void;
  /** Back-off between restarts after errors, in milliseconds. */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
}

type DoneCallback = (err: unknown) => void;
type EventCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

/**
 * One informer (client-node's ListWatch) kept alive: the watch asks for bookmarks and a server-side
 * timeout; ListWatch handles 410 by re-listing but stops for good on any other error, so every error
 * restarts it with capped, jittered back-off; a watch that stays silent too long is re-listed.
 */
export class ResourceWatch<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private readonly watch: Watch;
  private attempt = 0;
  private healthyNow = false;
  private listed = false;
  private stopped = false;
  private lastActivity = Date.now();
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly silenceTimer: NodeJS.Timeout;
  private abortCurrent: (() => void) | undefined;

  constructor(private readonly options: ResourceWatchOptions<T>) {
    this.watch = new Watch(options.kubeConfig);
    const wrapper = { watch: this.startWatch.bind(this) } as unknown as Watch;
    const silenceMs = (2 * options.watchTimeoutSeconds + 1) * 1000;
    // A list that hangs (a frozen API server) fails after as long as a silent watch may last, so it is retried.
    const list: ListPromise<T> = async () => {
      const listed = await withTimeout(options.list(), silenceMs, `listing ${options.resource}`);
      return { ...listed, items: listed.items.map(options.project) };
    };
    this.informer = new ListWatch<T>(options.path, wrapper, list, false);
    for (const type of ['add', 'update', 'delete'] as const) {
      this.informer.on(type, (obj: T) => {
        options.metrics.events.inc({ kind: options.resource, type });
        options.onChange(type, obj);
      });
    }
    this.informer.on('error', (err: unknown) => this.failed(err));
    this.silenceTimer = setInterval(() => {
      if (this.abortCurrent !== undefined && Date.now() - this.lastActivity > silenceMs) {
        options.logger.warn('watch silent too long; re-listing', { resource: options.resource, silent_ms: Date.now() - this.lastActivity });
        options.metrics.watchRestarts.inc({ resource: options.resource });
        this.abortCurrent();
      }
    }, Math.min(silenceMs / 2, 5_000));
    this.silenceTimer.unref();
  }

  /** Start listing and watching. */
  start(): void {
    this.stopped = false;
    void this.informer.start();
  }

  /** Stop for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.silenceTimer);
    await this.informer.stop();
  }

  /** The resource name (`services`). */
  get resource(): string {
    return this.options.resource;
  }

  /** True while the last list/watch request succeeded. */
  get healthy(): boolean {
    return this.healthyNow;
  }

  /** True once the first complete list has been delivered. */
  get hasListed(): boolean {
    return this.listed;
  }

  /** The cached object `namespace/name`. */
  get(name: string, namespace: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private failed(err: unknown): void {
    this.healthyNow = false;
    this.abortCurrent = undefined;
    this.options.metrics.errors.inc({ kind: 'watch' });
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.backoffBaseMs ?? 250, this.options.backoffCapMs ?? 10_000);
    this.options.logger.warn('list/watch failed; restarting', { resource: this.options.resource, error: describe(err), retry_in_ms: delay });
    this.options.metrics.watchRestarts.inc({ resource: this.options.resource });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.informer.start();
    }, delay);
  }

  /** Called by ListWatch right after each (re)list is applied, and to re-watch: adds bookmarks, timeout and silence detection. */
  private async startWatch(path: string, query: Record<string, unknown>, callback: EventCallback, done: DoneCallback): Promise<AbortController> {
    if (!this.listed) {
      this.listed = true;
      this.options.logger.info('initial list received', { resource: this.options.resource, objects: this.informer.list().length });
      this.options.onListed();
    }
    let finished = false;
    const doneOnce: DoneCallback = (err) => {
      if (finished) return;
      finished = true;
      if (this.abortCurrent === abort) this.abortCurrent = undefined;
      done(err);
    };
    let controller: AbortController | undefined;
    const abort = (): void => {
      doneOnce({ statusCode: 410, message: 'watch silent too long' });
      controller?.abort();
    };
    this.abortCurrent = abort;
    this.lastActivity = Date.now();
    const params = { ...query, allowWatchBookmarks: true, timeoutSeconds: this.options.watchTimeoutSeconds };
    controller = await this.watch.watch(path, params, (phase, obj, watchObj) => {
      this.lastActivity = Date.now();
      const change = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
      callback(phase, change ? this.options.project(obj as T) : obj, watchObj);
    }, doneOnce);
    if (finished) controller.abort();
    else {
      this.healthyNow = true;
      this.attempt = 0;
    }
    return controller;
  }
}

function withTimeout<V>(promise: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err !== null && typeof err === 'object') return JSON.stringify(err);
  return String(err);
}
