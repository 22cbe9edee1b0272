import { Range, type Etcd3, type IKeyValue } from 'etcd3';

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
  client: Etcd3,
  prefix: string,
  options: PageOptions,
  onPage: (kvs: readonly IKeyValue[]) => void,
): Promise<ReadRevision> {
  const { start, end } = Range.prefix(prefix);
  let from = start;
  let read: ReadRevision | undefined;
  let revision = options.revision;
  for (;;) {
    const request = {
      key: from,
      range_end: end,
      limit: options.pageSize,
      ...(revision !== undefined ? { revision } : {}),
    };
    const res = await client.kv.range(
      request,
      options.timeoutMs === undefined ? undefined : { deadline: Date.now() + options.timeoutMs },
    );
    const at: ReadRevision = (read ??= { clusterId: res.header.cluster_id, revision: Number(res.header.revision) });
    revision ??= at.revision;
    onPage(res.kvs);
    const last = res.kvs[res.kvs.length - 1];
    if (!res.more || last === undefined) return at;
    from = Buffer.concat([last.key, Buffer.from([0])]);
  }
}
