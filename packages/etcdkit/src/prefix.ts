import type { EtcdClient } from './client.js';
import { prefixRangeEnd, type KeyValue } from './types.js';

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
 * and revision read at.
 */
export async function readPrefix(
  client: EtcdClient,
  prefix: string,
  options: PageOptions,
  onPage: (kvs: readonly KeyValue[]) => void,
): Promise<ReadRevision> {
  const end = prefixRangeEnd(prefix);
  let from: string | Buffer = prefix;
  let read: ReadRevision | undefined;
  let revision = options.revision;
  for (;;) {
    const res = await client.range(
      { key: from, rangeEnd: end, limit: options.pageSize, revision },
      { timeoutMs: options.timeoutMs },
    );
    const at: ReadRevision = (read ??= { clusterId: res.header.clusterId, revision: res.header.revision });
    revision ??= at.revision;
    onPage(res.kvs);
    if (!res.more || res.after === undefined) return at;
    from = res.after;
  }
}
