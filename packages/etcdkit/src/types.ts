/** The header of every etcd reply: which cluster and member answered, at which revision. */
export interface ResponseHeader {
  /** The cluster id (a decimal uint64, as etcd prints it). */
  readonly clusterId: string;
  /** The member that answered (a decimal uint64). */
  readonly memberId: string;
  /** The store revision when the reply was made. */
  readonly revision: number;
}

/** A key and its value, both decoded as UTF-8 (everything kube2sky and skydns store is text). */
export interface KeyValue {
  readonly key: string;
  /** The value ('' for an empty one and for the key of a deletion). */
  readonly value: string;
  /** The revision of the last change of the key. */
  readonly modRevision: number;
}

/** A range read (`key` alone reads that key; `rangeEnd` reads [key, rangeEnd)). */
export interface RangeRequest {
  readonly key: string | Buffer;
  /** End of the range, exclusive (see {@link prefixRangeEnd}). */
  readonly rangeEnd?: string | Buffer | undefined;
  /** At most this many keys (0 or absent: no limit). */
  readonly limit?: number | undefined;
  /** Read at this revision (absent: the newest). */
  readonly revision?: number | undefined;
}

/** The reply to a range read. */
export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  /** More keys are in the range than `limit` let through. */
  readonly more: boolean;
  /** Keys in the whole range. */
  readonly count: number;
  /** The key right after the last one returned (its raw bytes and a 0 byte): where the next page starts. */
  readonly after: Buffer | undefined;
}

/** One change seen by a watch. */
export interface WatchEvent {
  readonly type: 'Put' | 'Delete';
  readonly kv: KeyValue;
}

/** Changes seen by a watch, in revision order. */
export interface WatchResponse {
  readonly header: ResponseHeader;
  readonly events: readonly WatchEvent[];
}

/** Options of one call. */
export interface CallOptions {
  /** Deadline of the call (ms, connecting included); absent: none. */
  readonly timeoutMs?: number | undefined;
}

/** The end of the byte range of every key starting with `prefix` (etcd's `--prefix`): the prefix with its last byte below 0xff incremented. */
export function prefixRangeEnd(prefix: string | Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}
