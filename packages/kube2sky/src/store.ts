import { connectEtcd, readPrefix, type EtcdClient } from '@kube-dns-legacy/etcdkit';

/** Which etcd cluster answered, and at which revision (a new cluster id or an older revision means etcd lost its data). */
export interface StoreEpoch {
  readonly clusterId: string;
  readonly revision: number;
}

/** The etcd operations kube2sky needs: read its ranges, and apply puts and deletes atomically. */
export interface KeyValueStore {
  /** Calls `onEntry` with every key and value under each prefix (in pages, all at one revision); resolves with the epoch read at. */
  load(prefixes: readonly string[], onEntry: (key: string, value: string) => void): Promise<StoreEpoch>;
  /** Which cluster answers now, and at which revision (within `timeoutMs` when given, else the store's deadline). */
  epoch(timeoutMs?: number): Promise<StoreEpoch>;
  /** One transaction: all puts and deletes, or none. */
  apply(puts: ReadonlyArray<readonly [string, string]>, deletes: readonly string[]): Promise<StoreEpoch>;
  /** Close the connection. */
  close(): void;
}

/** Where and how to reach etcd. */
export interface EtcdOptions {
  /** Client URLs (http:// or https://). */
  readonly endpoints: readonly string[];
  /** Deadline of one etcd request, in milliseconds. */
  readonly timeoutMs: number;
  /** Keys per range request when reading the tree (default 5,000, ~1 MB per reply): a big tree is never held whole. */
  readonly pageSize?: number;
  /** PEM CA bundle, client certificate and key for TLS. */
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The etcd v3 store (etcdkit's client, over etcd's JSON gateway). */
export class EtcdStore implements KeyValueStore {
  private readonly client: EtcdClient;

  constructor(private readonly options: EtcdOptions) {
    // TLS only with a CA bundle (a client certificate alone is not used).
    const tls = options.ca === undefined ? {} : { ca: options.ca, cert: options.cert, key: options.key };
    this.client = connectEtcd({ endpoints: options.endpoints, dialTimeoutMs: options.timeoutMs, ...tls });
  }

  /** Calls `onEntry` with every key and value under each prefix, in pages of `pageSize` keys, all at the revision of the first page. */
  async load(prefixes: readonly string[], onEntry: (key: string, value: string) => void): Promise<StoreEpoch> {
    const pageSize = this.options.pageSize ?? 5_000;
    let epoch: StoreEpoch | undefined;
    for (const prefix of prefixes) {
      const read = await readPrefix(
        this.client,
        prefix,
        { pageSize, revision: epoch?.revision, timeoutMs: this.options.timeoutMs },
        (kvs) => {
          for (const kv of kvs) onEntry(kv.key, kv.value);
        },
      );
      epoch ??= read;
    }
    return epoch ?? this.epoch();
  }

  /** Which cluster answers now, and at which revision (one cheap status call). */
  async epoch(timeoutMs?: number): Promise<StoreEpoch> {
    const { clusterId, revision } = await this.client.status({ timeoutMs: timeoutMs ?? this.options.timeoutMs });
    return { clusterId, revision };
  }

  /** One transaction: all puts and deletes, or none. */
  async apply(puts: ReadonlyArray<readonly [string, string]>, deletes: readonly string[]): Promise<StoreEpoch> {
    const { clusterId, revision } = await this.client.txn(puts, deletes, { timeoutMs: this.options.timeoutMs });
    return { clusterId, revision };
  }

  /** Close the connection. */
  close(): void {
    this.client.close();
  }
}
