import { Etcd3 } from 'etcd3';

/** The etcd operations kube2sky needs: read its ranges, and apply puts and deletes atomically. */
export interface KeyValueStore {
  /** Every key and value under each prefix. */
  load(prefixes: readonly string[]): Promise<Map<string, string>>;
  /** One transaction: all puts and deletes, or none. */
  apply(puts: ReadonlyArray<readonly [string, string]>, deletes: readonly string[]): Promise<void>;
  /** Close the connection. */
  close(): void;
}

/** Where and how to reach etcd. */
export interface EtcdOptions {
  /** Client URLs (http:// or https://). */
  readonly endpoints: readonly string[];
  /** Deadline of one etcd request, in milliseconds. */
  readonly timeoutMs: number;
  /** PEM CA bundle, client certificate and key for TLS. */
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The etcd v3 store (package etcd3). */
export class Etcd3Store implements KeyValueStore {
  private readonly client: Etcd3;

  constructor(private readonly options: EtcdOptions) {
    const credentials = options.ca === undefined ? undefined : { rootCertificate: options.ca, ...(options.key ? { privateKey: options.key } : {}), ...(options.cert ? { certChain: options.cert } : {}) };
    this.client = new Etcd3({ hosts: [...options.endpoints], dialTimeout: options.timeoutMs, ...(credentials ? { credentials } : {}) });
  }

  private deadline(): { deadline: number } {
    return { deadline: Date.now() + this.options.timeoutMs };
  }

  /** Every key and value under each prefix. */
  async load(prefixes: readonly string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (const prefix of prefixes) {
      const entries = await this.client.getAll().prefix(prefix).options(this.deadline()).strings();
      for (const [key, value] of Object.entries(entries)) result.set(key, value);
    }
    return result;
  }

  /** One transaction: all puts and deletes, or none. */
  async apply(puts: ReadonlyArray<readonly [string, string]>, deletes: readonly string[]): Promise<void> {
    const success = [
      ...puts.map(([key, value]) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } })),
      ...deletes.map((key) => ({ request_delete_range: { key: Buffer.from(key) } })),
    ];
    await this.client.kv.txn({ compare: [], success, failure: [] }, this.deadline());
  }

  /** Close the connection. */
  close(): void {
    this.client.close();
  }
}
