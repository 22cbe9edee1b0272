import {
  connectEtcd,
  readPrefix,
  type EtcdClient,
  type KeyValue,
  readWatchLoop,
  watchPrefix,
  type PrefixWatch,
  type ReadWatchLoop,
} from '@kube-dns-legacy/etcdkit';
import type { LogFn } from '@kube-dns-legacy/processkit';
import { RecordTree } from '../tree.js';
import { readConfigKey } from './config-key.js';
import { Hold, type HoldEnd, type HoldTimes } from './hold.js';
import { readTlsFile } from './tls.js';
import { BadValueLog, valueProblem } from './values.js';

export type { HoldEnd, HoldTimes } from './hold.js';

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
  readonly log: LogFn;
  /** Records changed at these keys (the whole prefix after a full load). */
  readonly onChange: (keys: readonly string[]) => void;
  /**
   * A value was skipped because it is not a record skydns can serve (see valueProblem): called for
   * every one (to count it); the store itself warns about them, at most once per 10 s.
   */
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

/**
 * Keys per range read of a full load: a 120,000-key tree in one reply is ~19 MB of gRPC message
 * and ~100 MB of decoded objects at once; pages keep that garbage small. (etcd 3.4 counts the rest
 * of the range for every page, so much smaller pages make the load slower.)
 */
const PAGE_KEYS = 4000;

/** Waits between attempts to list etcd again: 100 ms doubling to 1 s. */
const RETRY = { baseMs: 100, capMs: 1000, jitter: false } as const;

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
  private readonly client: EtcdClient;
  private stopped = false;
  private watcher: PrefixWatch | undefined;
  private loop: ReadWatchLoop | undefined;
  /** Set when etcd was seen behind us: the next list starts a hold. */
  private behind = false;
  /** The refill in progress, if any. */
  private hold: Hold | undefined;
  /** Warnings about skipped values, at most one per 10 s. */
  private readonly badValues: BadValueLog;

  constructor(private readonly options: StoreOptions) {
    this.badValues = new BadValueLog(options.log);
    const ca = readTlsFile('ca-cert', options.caCert);
    const tls =
      options.tlsPem === ''
        ? {}
        : { cert: readTlsFile('tls-pem', options.tlsPem), key: readTlsFile('tls-key', options.tlsKey) };
    this.client = connectEtcd({
      endpoints: options.endpoints,
      dialTimeoutMs: 3000,
      callerRetries: true,
      ...(ca !== undefined || options.tlsPem !== '' ? { ca: ca ?? Buffer.alloc(0), ...tls } : {}),
      ...(options.username !== '' ? { auth: { username: options.username, password: options.password } } : {}),
    });
  }

  private get root(): string {
    return `/${this.options.prefix}/`;
  }

  /** The raw value of `/<prefix>/config`, or undefined when absent; retried for `timeoutMs` (etcd often starts beside us). */
  readConfig(timeoutMs = 3000): Promise<string | undefined> {
    return readConfigKey(this.client, this.options.prefix, timeoutMs);
  }

  /** Start loading and watching in the background: a full read, then the watch from the next revision, again after each end (with back-off on errors). */
  start(): void {
    this.loop ??= readWatchLoop(
      async () => {
        await this.load();
        await this.options.afterLoad?.();
        await this.watch();
      },
      RETRY,
      (err, failures) => {
        if (this.connected || this.lastSync === 0 || failures === 1) {
          this.options.log('warn', 'cannot read etcd; serving the last good data', {
            error: err.message,
            records: this.tree.size,
          });
        }
        this.connected = false;
      },
    );
  }

  /** Stop watching and close the client. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.hold?.cancel();
    this.watcher?.stop();
    await this.loop?.stop();
    this.client.close();
  }

  /** A value checked as a record (skipped, counted and logged when it is not one): its key and JSON text. */
  private decode(kv: KeyValue): { key: string; json: string } | undefined {
    const key = kv.key;
    if (key === `/${this.options.prefix}/config`) return undefined;
    const json = kv.value;
    const problem = valueProblem(key, json, this.options.prefix);
    if (problem === undefined) return { key, json };
    this.options.onBadValue(key, problem);
    this.badValues.note(key, problem);
    return undefined;
  }

  /**
   * Read the whole prefix in pages of {@link PAGE_KEYS}, every page at the first page's revision
   * (so the watch starts right after it); returns the records and that revision.
   */
  private async list(): Promise<{ tree: RecordTree; revision: number }> {
    const tree = new RecordTree();
    const { revision } = await readPrefix(this.client, this.root, { pageSize: PAGE_KEYS }, (kvs) => {
      const keys: string[] = [];
      const jsons: string[] = [];
      for (const kv of kvs) {
        const decoded = this.decode(kv);
        if (decoded === undefined) continue;
        keys.push(decoded.key);
        jsons.push(decoded.json);
      }
      tree.appendJson(keys, jsons);
    });
    return { tree, revision };
  }

  /** One full read of the prefix, swapped in at once (or into the hold while etcd is refilled). */
  private async load(): Promise<void> {
    const { tree: fresh, revision } = await this.list();
    this.revision = revision;
    this.lastSync = Date.now();
    if (this.behind || this.hold !== undefined) {
      this.behind = false;
      if (this.hold === undefined) {
        this.hold = new Hold(this.options.hold ?? DEFAULT_HOLD, (reason) => this.endHold(reason));
        this.options.log(
          'warn',
          'etcd came back behind the data we hold (restored or wiped); serving the last good data while it is refilled',
          {
            serving: this.tree.size,
            listed: fresh.size,
            revision: this.revision,
          },
        );
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
    this.options.log('info', first ? 'loaded records from etcd' : 'reloaded records from etcd', {
      records: this.tree.size,
      revision: this.revision,
    });
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
  private async watch(): Promise<void> {
    if (this.stopped) return;
    const watch = watchPrefix(this.client, this.root, this.revision + 1, {
      connected: (revision) => {
        if (revision < this.revision) {
          this.options.log('warn', 'etcd is behind the data we hold (restored or wiped); listing again', {
            etcd: String(revision),
            ours: this.revision,
          });
          this.behind = true;
          return false;
        }
        if (!this.connected) this.options.log('info', 'watching etcd', { revision: this.revision });
        this.connected = true;
        this.lastSync = Date.now();
        return true;
      },
      disconnected: (err) => {
        if (this.connected)
          this.options.log('warn', 'lost the etcd watch; serving the last good data while reconnecting', {
            error: err.message,
          });
        this.connected = false;
      },
      data: (res) => {
        const tree = this.hold?.tree ?? this.tree;
        const changed: string[] = [];
        for (const event of res.events) {
          const key = event.kv.key;
          if (event.type === 'Delete') {
            if (tree.delete(key)) changed.push(key);
          } else {
            const decoded = this.decode(event.kv);
            if (decoded !== undefined) tree.setJson(decoded.key, decoded.json);
            else tree.delete(key);
            changed.push(key);
          }
        }
        this.revision = res.header.revision;
        this.lastSync = Date.now();
        if (this.hold !== undefined) this.hold.changed(changed.length);
        else if (changed.length > 0) {
          this.changedAt = Date.now();
          this.options.onChange(changed);
        }
      },
    });
    this.watcher = watch;
    const end = await watch.ended;
    this.watcher = undefined;
    this.connected = false;
    if (end.by === 'etcd' && end.error !== undefined)
      this.options.log('warn', 'etcd watch ended; listing again', { error: end.error.message });
  }
}
