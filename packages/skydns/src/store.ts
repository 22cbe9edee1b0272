import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { noop } from 'cockatiel';
import { Etcd3, Range, type IKeyValue, type IOptions, type Watcher } from 'etcd3';
import { decodeRecord, dnsNameProblem } from '@kube-dns-legacy/skymsg';
import { ConfigError } from './config.js';
import { Hold, type HoldEnd, type HoldTimes } from './hold.js';
import { RecordTree } from './tree.js';

/** How the store reaches etcd and reports what it sees. */
export interface StoreOptions {
  /** etcd endpoints (`http://host:port`). */
  readonly endpoints: readonly string[];
  /** Key prefix segment (`skydns`). */
  readonly prefix: string;
  /** TLS files (empty = none). */
  readonly caCert: string;
  /** Client key file. */
  readonly tlsKey: string;
  /** Client certificate file. */
  readonly tlsPem: string;
  /** etcd user (empty = none). */
  readonly username: string;
  /** etcd password. */
  readonly password: string;
  /** Log lines. */
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;
  /** Records changed at these keys (the whole prefix after a full load). */
  readonly onChange: (keys: readonly string[]) => void;
  /** A value was skipped because it is not a valid record. */
  readonly onBadValue: (key: string, reason: string) => void;
  /** A hold ended: the refilled data replaced the last good data, after a quiet refill or the longest hold. */
  readonly onHoldEnd?: (reason: HoldEnd) => void;
  /** Runs after each full load, before the watch starts (skydns collects the load's garbage there; tests compact etcd there). */
  readonly afterLoad?: () => Promise<void>;
  /** How long the last good data keeps serving while an etcd that came back behind us is refilled (default 1 s quiet, 30 s at most). */
  readonly hold?: HoldTimes;
}

/** Default hold: switch 1 s after the refill went quiet, or after 30 s. */
const DEFAULT_HOLD: HoldTimes = { quietMs: 1000, maxMs: 30_000 };

/** Read a TLS file named by a flag; an unreadable file is a configuration error naming the flag. */
function readTlsFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`-${flag} ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A back-off that always waits the same time (etcd3's default grows to 30 s). */
const WATCH_BACKOFF = { duration: 250, next: () => WATCH_BACKOFF };

/**
 * Keys per range read of a full load: a 120,000-key tree in one reply is ~19 MB of gRPC message
 * and ~100 MB of decoded objects at once; pages keep that garbage small. (etcd 3.4 counts the rest
 * of the range for every page, so much smaller pages make the load slower.)
 */
const PAGE_KEYS = 4000;

/** Longest wait between attempts to list etcd again. */
const MAX_RETRY_MS = 1000;

/**
 * The only reader of etcd: one range read of the prefix, then a watch from the next revision,
 * applied to an in-memory {@link RecordTree}. A compacted or cancelled watch triggers a fresh
 * list; while etcd is away the last good tree keeps serving. When etcd comes back behind the data
 * we hold (restored or wiped), the new tree is built from the list and the watch in a {@link Hold}
 * while the last good tree keeps serving, and replaces it once the refill has gone quiet.
 */
export class EtcdStore {
  /** The records; `tree.ready` turns true after the first complete load. */
  readonly tree = new RecordTree();
  /** True while a watch is connected. */
  connected = false;
  /** ms timestamp of the last time the data was confirmed current (0 = never). */
  lastSync = 0;
  /** The etcd revision the tree reflects. */
  revision = 0;
  /** ms timestamp of the last change of the records served (0 = none yet); the SOA serial derives from it. */
  changedAt = 0;
  private readonly client: Etcd3;
  private stopped = false;
  private watcher: Watcher | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Set when etcd was seen behind us: the next list starts a hold. */
  private behind = false;
  /** The refill in progress, if any. */
  private hold: Hold | undefined;

  constructor(private readonly options: StoreOptions) {
    const config: IOptions = {
      hosts: [...options.endpoints],
      dialTimeout: 3000,
      faultHandling: { host: () => noop, global: noop, watchBackoff: WATCH_BACKOFF },
      // No cap on replies: grpc-js refuses any message over 4 MiB by default, and the initial range read of a big cluster is larger (120,000 records ≈ 19 MB).
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
    };
    if (options.caCert !== '' || options.tlsPem !== '') {
      config.credentials = {
        rootCertificate: options.caCert === '' ? Buffer.alloc(0) : readTlsFile('ca-cert', options.caCert),
        ...(options.tlsPem === '' ? {} : { certChain: readTlsFile('tls-pem', options.tlsPem), privateKey: readTlsFile('tls-key', options.tlsKey) }),
      };
    }
    if (options.username !== '') config.auth = { username: options.username, password: options.password };
    this.client = new Etcd3(config);
  }

  private get root(): string {
    return `/${this.options.prefix}/`;
  }

  /**
   * The raw value of `/<prefix>/config`, or undefined when absent. Retries until `timeoutMs` has
   * passed (etcd often starts beside us), then rejects with the last error.
   */
  async readConfig(timeoutMs = 3000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let lastError: Error = new Error(`etcd did not answer within ${timeoutMs} ms`);
    while (Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`etcd did not answer within ${timeoutMs} ms`)), Math.max(1, deadline - Date.now()));
      });
      try {
        const value = await Promise.race([this.client.get(`/${this.options.prefix}/config`).string(), timeout]);
        return value ?? undefined;
      } catch (err) {
        lastError = err as Error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now()))));
      } finally {
        clearTimeout(timer);
      }
    }
    throw lastError;
  }

  /** Start loading and watching in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stop watching and close the client. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.hold?.cancel();
    this.wake?.();
    await this.watcher?.cancel().catch(() => undefined);
    await this.loop;
    this.client.close();
  }

  private async run(): Promise<void> {
    let delay = 100;
    while (!this.stopped) {
      try {
        await this.load();
        delay = 100;
        await this.options.afterLoad?.();
        await this.watch();
      } catch (err) {
        if (this.stopped) break;
        if (this.connected || this.lastSync === 0 || delay === 100) {
          this.options.log('warn', 'cannot read etcd; serving the last good data', { error: (err as Error).message, records: this.tree.size });
        }
        this.connected = false;
        await this.sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** A value checked as a record (skipped, counted and logged when it is not one): its key and JSON text. */
  private decode(kv: IKeyValue): { key: string; json: string } | undefined {
    const key = kv.key.toString('utf8');
    if (key === `/${this.options.prefix}/config`) return undefined;
    try {
      const json = kv.value.toString('utf8');
      const record = decodeRecord(key, json);
      const host = record.host;
      if (host !== undefined && host !== '' && isIP(host) === 0) {
        const problem = dnsNameProblem(host);
        if (problem !== undefined) throw new Error(`${key}: field "host": ${problem}`);
      }
      return { key, json };
    } catch (err) {
      this.options.onBadValue(key, (err as Error).message);
      return undefined;
    }
  }

  /**
   * Read the whole prefix in pages of {@link PAGE_KEYS}, every page at the first page's revision
   * (so the watch starts right after it); returns the records and that revision.
   */
  private async list(): Promise<{ tree: RecordTree; revision: string }> {
    const { end } = Range.prefix(this.root);
    let start = Buffer.from(this.root);
    let revision: string | undefined;
    const tree = new RecordTree();
    for (;;) {
      const page = this.client.getAll().inRange(new Range(start, end)).limit(PAGE_KEYS);
      const res = await (revision === undefined ? page : page.revision(revision)).exec();
      revision ??= res.header.revision;
      const keys: string[] = [];
      const jsons: string[] = [];
      for (const kv of res.kvs) {
        const decoded = this.decode(kv);
        if (decoded === undefined) continue;
        keys.push(decoded.key);
        jsons.push(decoded.json);
      }
      tree.appendJson(keys, jsons);
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || last === undefined) return { tree, revision };
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  /** One full read of the prefix, swapped in at once (or into the hold while etcd is refilled). */
  private async load(): Promise<void> {
    const { tree: fresh, revision } = await this.list();
    this.revision = Number(revision);
    this.lastSync = Date.now();
    if (this.behind || this.hold !== undefined) {
      this.behind = false;
      if (this.hold === undefined) {
        this.hold = new Hold(this.options.hold ?? DEFAULT_HOLD, (reason) => this.endHold(reason));
        this.options.log('warn', 'etcd came back behind the data we hold (restored or wiped); serving the last good data while it is refilled', {
          serving: this.tree.size,
          listed: fresh.size,
          revision: this.revision,
        });
      }
      this.hold.tree = fresh;
      this.hold.changed(fresh.size);
      return;
    }
    this.tree.replaceWith(fresh);
    const first = !this.tree.ready;
    this.tree.ready = true;
    this.changedAt = Date.now();
    this.options.onChange([`/${this.options.prefix}`]);
    this.options.log('info', first ? 'loaded records from etcd' : 'reloaded records from etcd', { records: this.tree.size, revision: this.revision });
  }

  /** Serve the refilled tree. */
  private endHold(reason: HoldEnd): void {
    const hold = this.hold;
    if (hold === undefined) return;
    this.hold = undefined;
    const before = this.tree.size;
    this.tree.replaceWith(hold.tree);
    this.changedAt = Date.now();
    this.options.onChange([`/${this.options.prefix}`]);
    this.options.onHoldEnd?.(reason);
    this.options.log('info', 'switched to the refilled etcd data', {
      reason,
      heldMs: Date.now() - hold.since,
      changes: hold.changes,
      records: this.tree.size,
      before,
      revision: this.revision,
    });
  }

  /** Watch from the revision after the load; resolves when the watch ends and a re-list is needed. */
  private watch(): Promise<void> {
    return new Promise((resolve) => {
      const watcher = this.client.watch().prefix(this.root).startRevision(String(this.revision + 1)).watcher();
      this.watcher = watcher;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        this.connected = false;
        this.watcher = undefined;
        watcher.removeAllListeners();
        watcher.on('error', () => undefined);
        void watcher.cancel().catch(() => undefined);
        resolve();
      };
      this.wake = finish;
      watcher.on('connected', (res) => {
        if (Number(res.header.revision) < this.revision) {
          this.options.log('warn', 'etcd is behind the data we hold (restored or wiped); listing again', { etcd: res.header.revision, ours: this.revision });
          this.behind = true;
          finish();
          return;
        }
        if (!this.connected) this.options.log('info', 'watching etcd', { revision: this.revision });
        this.connected = true;
        this.lastSync = Date.now();
      });
      watcher.on('disconnected', (err: Error) => {
        if (this.connected) this.options.log('warn', 'lost the etcd watch; serving the last good data while reconnecting', { error: err.message });
        this.connected = false;
      });
      watcher.on('data', (res) => {
        const tree = this.hold?.tree ?? this.tree;
        const changed: string[] = [];
        for (const event of res.events) {
          const key = event.kv.key.toString('utf8');
          if (event.type === 'Delete') {
            if (tree.delete(key)) changed.push(key);
          } else {
            const decoded = this.decode(event.kv);
            if (decoded !== undefined) tree.setJson(decoded.key, decoded.json);
            else tree.delete(key);
            changed.push(key);
          }
        }
        this.revision = Number(res.header.revision);
        this.lastSync = Date.now();
        if (this.hold !== undefined) this.hold.changed(changed.length);
        else if (changed.length > 0) {
          this.changedAt = Date.now();
          this.options.onChange(changed);
        }
      });
      watcher.on('error', (err: Error) => {
        this.options.log('warn', 'etcd watch ended; listing again', { error: err.message });
        finish();
      });
      watcher.on('end', finish);
    });
  }
}
