import type { EtcdClient } from './client.js';
import { prefixRangeEnd, type KeyValue, type RangeResponse } from './types.js';

/** Which cluster answered a read, and at which revision. */
export interface ReadRevision {
  /** The etcd cluster id. */
  readonly clusterId: string;
  /** The revision every page was read at. */
  readonly revision: number;
}

/** How a prefix is read. */
export interface PageOptions {
  /** Keys per range request: a big tree is never one reply (nor one burst of garbage). */
  readonly pageSize: number;
  /** Read at this revision (default: the revision of the first page). */
  readonly revision?: number | undefined;
  /** Deadline of each range request (ms). */
  readonly timeoutMs?: number | undefined;
}

/**
 * Read every key under `prefix` in pages of `pageSize`, every page at one revision (the first
 * page's, unless given), handing each page to `onPage` as it arrives; resolves with the cluster
 * and revision read at. The next page is asked for before `onPage` runs, so etcd prepares it while
 * this one is used (at most two pages are held at once).
 */
export async function readPrefix(
  client: EtcdClient,
  prefix: string,
  options: PageOptions,
  onPage: (kvs: readonly KeyValue[]) => void,
): Promise<ReadRevision> {
  const rangeEnd = prefixRangeEnd(prefix);
  const page = (key: string | Buffer, revision: number | undefined): Promise<RangeResponse> =>
    client.range({ key, rangeEnd, limit: options.pageSize, revision }, { timeoutMs: options.timeoutMs });
  let pending = page(prefix, options.revision);
  let read: ReadRevision | undefined;
  for (;;) {
    const res = await pending;
    const at: ReadRevision = (read ??= {
      clusterId: res.header.clusterId,
      revision: options.revision ?? res.header.revision,
    });
    const next = res.more && res.after !== undefined ? page(res.after, at.revision) : undefined;
    next?.catch(() => undefined); // awaited below; a failure while onPage runs is not unhandled
    onPage(res.kvs);
    if (next === undefined) return at;
    pending = next;
  }
}
