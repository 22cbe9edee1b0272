import type { ServerResponse } from 'node:http';
import type { Faults } from './faults.js';
import type { JsonObject } from './json.js';
import { asObject } from './json.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import type { Matcher } from './selectors.js';
import { ApiError, failureStatus } from './status.js';
import type { ObjectStore, StoreEvent } from './store.js';
import { nameOf } from './store.js';
import type { IncludeObject } from './table.js';
import { toTable } from './table.js';

/** What one watch request asks for. */
export interface WatchRequest {
  /** The resource watched. */
  readonly def: ResourceDef;
  /** The namespace, or undefined for all namespaces. */
  readonly namespace: string | undefined;
  /** Label and field selectors combined. */
  readonly matches: Matcher;
  /** `resourceVersion`: '' or '0' for the current state first, else the version to resume after. */
  readonly resourceVersion: string;
  /** `timeoutSeconds`, when given. */
  readonly timeoutSeconds: number | undefined;
  /** Whether BOOKMARK events were requested. */
  readonly bookmarks: boolean;
  /** When kubectl asked for Tables: what each row carries (column definitions ride on the first event only). */
  readonly table?: IncludeObject;
}

/** How the watch stream is served. */
export interface WatchContext {
  /** The object store. */
  readonly store: ObjectStore;
  /** The fault switches. */
  readonly faults: Faults;
  /** Milliseconds between BOOKMARK events. */
  readonly bookmarkIntervalMs: number;
  /** Open watch count changes (for logs and stop()). */
  readonly onOpen: (close: () => void) => () => void;
}

function line(res: ServerResponse, type: string, object: JsonObject): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

/** Serve a watch: 200, then one JSON event per line until timeout, a dropped stream or the client leaving. */
export function serveWatch(res: ServerResponse, watch: WatchRequest, ctx: WatchContext): void {
  const { def } = watch;
  const { store } = ctx;
  /** The event as this watch sees it: an object entering the selection is ADDED, one leaving it is DELETED. */
  const seen = (event: StoreEvent): StoreEvent | undefined => {
    if (event.def !== def) return undefined;
    if (watch.namespace !== undefined && nameOf(event.object).namespace !== watch.namespace) return undefined;
    const now = watch.matches(event.object);
    if (event.type !== 'MODIFIED' || !event.previous) return now ? event : undefined;
    const before = watch.matches(event.previous);
    if (now && before) return event;
    if (now) return { ...event, type: 'ADDED' };
    if (!before) return undefined;
    // As the real watch cache: the object as it was when it still matched, with the change's resourceVersion.
    const last = {
      ...event.previous,
      metadata: { ...asObject(event.previous['metadata']), resourceVersion: String(event.rv) },
    };
    return { ...event, type: 'DELETED', object: last };
  };
  let backlog: StoreEvent[] | undefined;
  let error: ApiError | undefined;
  const rvText = watch.resourceVersion;
  if (ctx.faults.goneActive)
    error = new ApiError(410, `too old resource version: ${rvText || '0'} (${store.resourceVersion})`, 'Expired');
  else if (rvText === '' || rvText === '0') {
    backlog = store
      .list(def, watch.namespace)
      .filter(watch.matches)
      .map((object) => ({ rv: store.resourceVersion, type: 'ADDED', def, object }));
  } else {
    const rv = Number(rvText);
    if (!/^[0-9]+$/.test(rvText))
      throw new ApiError(400, `resourceVersion: Invalid value: "${rvText}": must be a non-negative integer`);
    try {
      backlog = store.since(rv).flatMap((event) => seen(event) ?? []);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      error = err;
    }
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  if (error) {
    line(res, 'ERROR', failureStatus(error.code, error.message, error.reason));
    res.end();
    return;
  }
  let headers = true;
  const emit = (event: StoreEvent): void => {
    if (watch.table === undefined) {
      line(res, event.type, event.object);
      return;
    }
    line(res, event.type, toTable(def, [event.object], String(event.rv), watch.table, headers));
    headers = false;
  };
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    untrack();
    for (const timer of timers) clearTimeout(timer);
    res.end();
  };
  const unsubscribe = store.subscribe((event) => {
    const visible = seen(event);
    if (visible) emit(visible);
  });
  const untrack = ctx.onOpen(close);
  for (const event of backlog ?? []) emit(event);
  if (watch.timeoutSeconds !== undefined) timers.push(setTimeout(close, watch.timeoutSeconds * 1000));
  if (watch.bookmarks) {
    const bookmark = setInterval(() => {
      line(res, 'BOOKMARK', {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
        metadata: { resourceVersion: String(store.resourceVersion) },
      });
    }, ctx.bookmarkIntervalMs);
    timers.push(bookmark);
  }
  res.on('close', close);
}
