import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import type { Logger } from '@kube-dns-legacy/processkit';
import { getJson } from './api.js';
import { backoffDelay } from '@kube-dns-legacy/processkit';
import type { Metrics } from './metrics.js';
import type { ObjectMeta } from './records/types.js';

/** How an object reached kube2sky: in a (re-)list, or as a watch event. */
export type ChangeType = 'list' | 'add' | 'update' | 'delete';

/** Any Kubernetes object as received (plain JSON); only its metadata is read here. */
export interface ApiObject {
  readonly metadata?: ObjectMeta;
}

/** What one resource watch needs. */
export interface ResourceWatchOptions {
  /** Short name for logs and metrics (`services`). */
  readonly resource: string;
  /** API path of the collection (`/api/v1/services`). */
  readonly path: string;
  /** A `fieldSelector` for the list and the watch (`metadata.name=kube-dns`: one object, as RBAC resourceNames allow). */
  readonly fieldSelector?: string;
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `timeoutSeconds` of each watch request; a watch without any event for twice as long (+1 s) is re-listed, a list page that takes as long is retried. */
  readonly watchTimeoutSeconds: number;
  /** Objects per list request (`limit`; the server's `continue` token fetches the next page). */
  readonly pageSize?: number;
  /** Called for every object listed or changed, as plain JSON; it is not kept here. */
  readonly onChange: (type: ChangeType, object: ApiObject) => void;
  /** Called after every complete (re-)list with the `namespace/name` of each object in it: whatever else was known is gone. */
  readonly onRelisted: (seen: ReadonlySet<string>) => void;
  /** Called once, after the first complete list has been delivered. */
  readonly onListed: () => void;
  /** Back-off between restarts after errors, in milliseconds. */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
}

type DoneCallback = (err: unknown) => void;

/** One page of a list answer. */
interface ListPage {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: ApiObject[] | null;
}

/** The page size of lists: small enough that no list is held whole, large enough to be few requests. */
const DEFAULT_PAGE_SIZE = 500;

/** `namespace/name` of an object. */
export function objectId(object: ApiObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/**
 * One resource kept in sync, as plain JSON and without a cache of its own: a list in pages
 * (`limit`/`continue`), then a watch from the list's resourceVersion (client-node's `Watch`, with
 * bookmarks and a server-side timeout), re-watched when it ends, re-listed on 410 Gone or when it
 * stays silent too long, restarted with capped, jittered back-off after any other error.
 */
export class ResourceWatch {
  private readonly watch: Watch;
  private readonly silenceMs: number;
  private resourceVersion = '';
  private attempt = 0;
  /** Watches that expired right after their list, one after the other (back-off for the next list). */
  private expiredInARow = 0;
  private healthyNow = false;
  private listed = false;
  private stopped = true;
  private lastActivity = Date.now();
  private restartTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private abortCurrent: (() => void) | undefined;

  constructor(private readonly options: ResourceWatchOptions) {
    this.watch = new Watch(options.kubeConfig);
    this.silenceMs = (2 * options.watchTimeoutSeconds + 1) * 1000;
  }

  /** Start listing and watching. */
  start(): void {
    this.stopped = false;
    this.silenceTimer = setInterval(
      () => {
        if (this.abortCurrent !== undefined && Date.now() - this.lastActivity > this.silenceMs) {
          this.options.logger.warn('watch silent too long; re-listing', {
            resource: this.options.resource,
            silent_ms: Date.now() - this.lastActivity,
          });
          this.options.metrics.watchRestarts.inc({ resource: this.options.resource });
          this.abortCurrent();
        }
      },
      Math.min(this.silenceMs / 2, 5_000),
    );
    this.silenceTimer.unref();
    void this.run();
  }

  /** Stop for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.silenceTimer);
    this.abortCurrent?.();
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

  /** List when there is no resourceVersion to watch from, then watch. */
  private async run(): Promise<void> {
    try {
      if (this.resourceVersion === '') this.resourceVersion = await this.list();
      if (!this.stopped) await this.startWatch();
    } catch (err) {
      this.failed(err);
    }
  }

  private deliver(type: ChangeType, object: ApiObject): void {
    const { metrics, logger, resource } = this.options;
    metrics.events.inc({ kind: resource, type });
    try {
      this.options.onChange(type, object);
    } catch (err) {
      metrics.errors.inc({ kind: 'object' });
      logger.warn('object skipped: it could not be handled', {
        resource,
        object: objectId(object),
        error: (err as Error).message,
      });
    }
  }

  /** Every page of the collection, delivered as it arrives (the next page is fetched meanwhile); resolves with the list's resourceVersion. */
  private async list(): Promise<string> {
    const { path, resource, kubeConfig, pageSize } = this.options;
    const fetchPage = (token: string): Promise<ListPage> => {
      const selector = this.options.fieldSelector;
      const query = `?limit=${pageSize ?? DEFAULT_PAGE_SIZE}${selector === undefined ? '' : `&fieldSelector=${encodeURIComponent(selector)}`}${token === '' ? '' : `&continue=${encodeURIComponent(token)}`}`;
      const request = getJson(kubeConfig, path + query, `listing ${resource}`, this.silenceMs) as Promise<ListPage>;
      request.catch(() => undefined); // awaited below; never an unhandled rejection when the list is abandoned
      return request;
    };
    const seen = new Set<string>();
    let next: Promise<ListPage> | undefined = fetchPage('');
    let resourceVersion = '';
    while (next !== undefined) {
      const page: ListPage = await next;
      if (this.stopped) return '';
      const token = page.metadata?.continue ?? '';
      next = token === '' ? undefined : fetchPage(token);
      resourceVersion = page.metadata?.resourceVersion ?? '';
      for (const item of page.items ?? []) {
        seen.add(objectId(item));
        this.deliver('list', item);
      }
    }
    this.options.onRelisted(seen);
    this.options.metrics.lists.inc({ resource, reason: this.listed ? 'expired' : 'start' });
    if (!this.listed) {
      this.listed = true;
      this.options.logger.info('initial list received', { resource, objects: seen.size });
      this.options.onListed();
    }
    return resourceVersion;
  }

  /**
   * List again after the watch expired. A watch that expires within a second of its start (the list
   * it came from is already too old: a lagging or failing server) is re-listed with back-off, as
   * client-go's reflector does, instead of in a tight loop.
   */
  private relist(watchedMs: number): void {
    if (watchedMs >= 1_000) {
      this.expiredInARow = 0;
      void this.run();
      return;
    }
    // Not watching while it waits: /healthz says so, as after any other failed request.
    this.healthyNow = false;
    const delay = backoffDelay(
      this.expiredInARow++,
      this.options.backoffBaseMs ?? 250,
      this.options.backoffCapMs ?? 10_000,
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.run();
    }, delay);
  }

  private failed(err: unknown): void {
    this.healthyNow = false;
    this.abortCurrent = undefined;
    this.options.metrics.errors.inc({ kind: 'watch' });
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.backoffBaseMs ?? 250, this.options.backoffCapMs ?? 10_000);
    const status = httpStatus(err);
    if (status === 401 || status === 403) {
      // Not a passing fault: the credentials or the RBAC rules are wrong until someone changes them.
      const hint =
        status === 403
          ? `grant get, list and watch on ${this.options.resource} (manifests/rbac.yaml)`
          : 'the token or client certificate was refused';
      this.options.logger.error('list/watch not allowed; retrying', {
        resource: this.options.resource,
        error: describe(err),
        hint,
        retry_in_ms: delay,
      });
    } else {
      this.options.logger.warn('list/watch failed; restarting', {
        resource: this.options.resource,
        error: describe(err),
        retry_in_ms: delay,
      });
    }
    this.options.metrics.watchRestarts.inc({ resource: this.options.resource });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.run();
    }, delay);
  }

  /** A watch request from the current resourceVersion; when it ends: re-watch, re-list (410 Gone) or back off (other errors). */
  private async startWatch(): Promise<void> {
    let finished = false;
    let controller: AbortController | undefined;
    const done: DoneCallback = (err) => {
      if (finished) return;
      finished = true;
      if (this.abortCurrent === abort) this.abortCurrent = undefined;
      controller?.abort();
      if (this.stopped) return;
      const ended = err === null || err === undefined;
      // Expired: a 410 as the request's answer, or an ERROR event (which cleared the resourceVersion).
      if (isGone(err) || (ended && this.resourceVersion === '')) {
        this.resourceVersion = '';
        this.relist(Date.now() - started);
      } else if (ended) {
        void this.run();
      } else {
        this.failed(err);
      }
    };
    const started = Date.now();
    const abort = (): void => done({ statusCode: 410, message: 'watch silent too long' });
    this.abortCurrent = abort;
    this.lastActivity = Date.now();
    const params = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.options.watchTimeoutSeconds,
      ...(this.options.fieldSelector === undefined ? {} : { fieldSelector: this.options.fieldSelector }),
    };
    controller = await this.watch.watch(
      this.options.path,
      params,
      (phase: string, object: ApiObject & { code?: number }) => {
        this.lastActivity = Date.now();
        if (phase === 'ERROR') {
          // The stream ends after an ERROR event; a 410 means the resourceVersion is too old: list again.
          if (object.code === 410) this.resourceVersion = '';
          return;
        }
        const type =
          phase === 'ADDED' ? 'add' : phase === 'MODIFIED' ? 'update' : phase === 'DELETED' ? 'delete' : undefined;
        if (type !== undefined) this.deliver(type, object);
        else if (phase === 'BOOKMARK') this.options.metrics.bookmarks.inc({ resource: this.options.resource });
        const version = object.metadata?.resourceVersion;
        if (version) this.resourceVersion = version;
      },
      done,
    );
    if (finished) controller.abort();
    else {
      this.healthyNow = true;
      this.attempt = 0;
    }
  }
}

/** The HTTP status an API error carries (client-node's watch sets `statusCode` or `code`; ours sets `statusCode`). */
function httpStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  return typeof e.code === 'number' ? e.code : undefined;
}

function isGone(err: unknown): boolean {
  return httpStatus(err) === 410;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err !== null && typeof err === 'object') return JSON.stringify(err);
  return String(err);
}
