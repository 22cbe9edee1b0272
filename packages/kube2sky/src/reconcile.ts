import { collectGarbage } from '@kube-dns-legacy/heap';
import type { Logger } from '@kube-dns-legacy/processkit';
import { backoffDelay } from '@kube-dns-legacy/processkit';
import type { Metrics } from './metrics.js';
import { abbreviationsFor, RecordTable, valueHash, type Slot } from './record-table.js';
import { isOwnedKey, scannedPrefixes } from './records/ownership.js';
import type { RecordContext } from './records/types.js';
import type { KeyValueStore, StoreEpoch } from './store.js';

/** What the reconciler needs from the rest of the process. */
export interface ReconcilerOptions {
  readonly store: KeyValueStore;
  readonly ctx: RecordContext;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Operations per etcd transaction (etcd's default limit is 128). */
  readonly batchSize?: number;
  /** First and longest delay between retries when etcd fails, in milliseconds. */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /**
   * With leader election: start without writing (setWriting(true) once elected), and be ready as soon
   * as the initial lists are in, since a follower never writes or sweeps.
   */
  readonly elected?: boolean;
}

/**
 * Keeps etcd equal to the desired records: writes new and changed keys first, then deletes keys no
 * object wants, in batched transactions; a change that alters nothing writes nothing. Deletions wait
 * until the initial lists are in (`markSynced`), then one full comparison sweeps stale keys. When
 * etcd fails it retries with capped, jittered back-off and re-reads etcd before writing again.
 */
export class Reconciler {
  /** The merged records of every object, and what etcd holds. */
  readonly table: RecordTable;
  private dirty = new Set<Slot>();
  private reload = true;
  private fullDiff = false;
  private synced = false;
  private swept = false;
  private closed = false;
  /** False when the last write run failed. */
  private writeOk = true;
  /** False when the last status check failed. */
  private statusOk = true;
  private checking = false;
  private attempt = 0;
  private pendingSince: number | undefined = Date.now();
  private running: Promise<void> | undefined;
  private scheduled = false;
  private epoch: StoreEpoch | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly readyWaiters: Array<() => void> = [];
  /** False while another replica leads (with leader election): changes are tracked, nothing is written. */
  private writing: boolean;
  private readonly batchSize: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;

  constructor(private readonly options: ReconcilerOptions) {
    this.batchSize = options.batchSize ?? 128;
    this.backoffBaseMs = options.backoffBaseMs ?? 100;
    this.backoffCapMs = options.backoffCapMs ?? 1_000;
    this.writing = options.elected !== true;
    this.table = new RecordTable(abbreviationsFor(options.ctx));
  }

  /**
   * Start or stop writing (leader election). Stopping takes effect before the next transaction; starting
   * re-reads etcd and compares everything, so a new leader writes only what is not right yet.
   */
  setWriting(enabled: boolean): void {
    if (enabled === this.writing) return;
    this.writing = enabled;
    this.reload = true;
    if (enabled) this.requestFullDiff();
    else this.pendingSince = undefined;
  }

  /** Replace the records of one object (`owner` is a stable id such as `svc/<ns>/<name>`). */
  update(owner: string, records: ReadonlyMap<string, string>): void {
    this.markDirty(this.table.set(owner, records));
  }

  /** Drop the records of one object. */
  remove(owner: string): void {
    this.markDirty(this.table.delete(owner));
  }

  /** The ids of the owners that hold records and start with `prefix` (`pod/`). */
  owners(prefix: string): string[] {
    return [...this.table.owners()].filter((owner) => owner.startsWith(prefix));
  }

  /** Every watched resource has been listed: compare everything once, deleting stale keys. */
  markSynced(): void {
    this.synced = true;
    if (this.ready) for (const resolve of this.readyWaiters.splice(0)) resolve();
    this.requestFullDiff();
  }

  /** Re-read etcd and compare everything (periodic resync; writes nothing when etcd is already right). */
  resync(): void {
    this.reload = true;
    this.requestFullDiff();
  }

  /** True once the initial lists have been written to etcd and stale keys swept (with leader election: once they are in). */
  get ready(): boolean {
    return this.swept || (this.options.elected === true && this.synced);
  }

  /** False when the last write or the last status check failed (true before the first one). */
  get etcdHealthy(): boolean {
    return this.writeOk && this.statusOk;
  }

  /** Seconds since the oldest change that is not in etcd yet (0 when etcd is up to date). */
  lagSeconds(): number {
    return this.pendingSince === undefined ? 0 : (Date.now() - this.pendingSince) / 1000;
  }

  /** Resolves once `ready` is true. */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Resolves when nothing is pending or in flight (tests use it to observe a settled state). */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.scheduled) await (this.running ?? new Promise((r) => setImmediate(r)));
  }

  /**
   * Ask etcd for its status (kube2sky's timer does it every second), with a deadline of `timeoutMs`
   * at most: a failure shows on /healthz at once, whether or not a write is pending, and an answer
   * clears it. While nothing is being written, the answer also repairs an etcd that came back empty
   * (or was replaced) within one check period even when no object changes.
   */
  async checkEtcd(timeoutMs = 1_500): Promise<void> {
    if (this.closed || this.checking) return;
    this.checking = true;
    try {
      const epoch = await this.options.store.epoch(timeoutMs);
      if (!this.statusOk) this.options.logger.info('etcd answers its status check again');
      this.statusOk = true;
      // A write in flight or waiting observes the revisions itself (a status read before its transaction would look older).
      if (this.epoch === undefined || this.running !== undefined || this.scheduled || this.retryTimer !== undefined)
        return;
      this.observe(epoch);
      if (this.reload) this.schedule();
    } catch (err) {
      if (this.statusOk) {
        this.options.metrics.errors.inc({ kind: 'etcd' });
        this.options.logger.warn('etcd status check failed; /healthz reports etcd unhealthy until it answers', {
          error: (err as Error).message,
        });
      }
      this.statusOk = false;
    } finally {
      this.checking = false;
    }
  }

  /** Stop scheduling work, wait for the write in flight, and close etcd. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.running;
    this.options.store.close();
  }

  private markDirty(slots: readonly Slot[]): void {
    this.options.metrics.desiredKeys.set(this.table.size);
    if (slots.length === 0) return;
    // A follower keeps the desired records; whoever leads next re-reads etcd and compares them all.
    if (!this.writing) return;
    for (const slot of slots) this.dirty.add(slot);
    this.pendingSince ??= Date.now();
    this.schedule();
  }

  private requestFullDiff(): void {
    this.fullDiff = true;
    if (this.writing) this.pendingSince ??= Date.now();
    this.schedule();
  }

  private schedule(): void {
    if (!this.writing || this.closed || this.scheduled || this.running !== undefined || this.retryTimer !== undefined)
      return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed || this.running !== undefined) return;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.dirty.size > 0 || this.fullDiff || this.reload) this.schedule();
      });
    });
  }

  private async timed<T>(op: string, work: () => Promise<T>): Promise<T> {
    const end = this.options.metrics.etcdLatency.startTimer({ op });
    try {
      return await work();
    } finally {
      end();
    }
  }

  private async run(): Promise<void> {
    const { store, ctx, logger, metrics } = this.options;
    const table = this.table;
    const slots: Set<Slot> = this.dirty;
    // A resync's read of the whole tree (after the initial sync) leaves its pages as garbage.
    const resync = this.reload && this.swept;
    try {
      if (this.reload) {
        table.forgetEtcd();
        this.epoch = await this.timed('load', () =>
          store.load(scannedPrefixes(ctx), (key, value) => {
            if (isOwnedKey(ctx, key, value)) table.observe(key, valueHash(value));
          }),
        );
        this.reload = false;
        this.fullDiff = true;
      }
      this.dirty = new Set();
      // Lists that complete while this run writes are only covered by the next run: decide sweeping and readiness now.
      const sweeping = this.synced;
      const all = this.fullDiff;
      this.fullDiff = false;
      const puts: Array<[Slot, string]> = [];
      const deletes: Slot[] = [];
      const compare = (slot: Slot): void => {
        const want = table.wantedHash(slot);
        const have = table.have(slot);
        if (want !== undefined && want !== have) puts.push([slot, table.wantedValue(slot) as string]);
        else if (want === undefined && have !== undefined && sweeping) deletes.push(slot);
        else table.prune(slot);
      };
      // Dirty slots dropped since (unwanted and absent from etcd) compare as nothing, or, reused by a
      // new key, as that key: a full diff may skip them.
      for (const slot of all ? table.slots() : slots) compare(slot);
      await this.write(puts, deletes);
      this.writeOk = true;
      this.attempt = 0;
      // Stopped leading in the middle: what was not written is compared again by the next leader.
      if (!this.writing) return;
      if (sweeping && !this.swept) {
        this.swept = true;
        logger.info('initial sync written to etcd', { keys: this.table.size, stale_deleted: deletes.length });
        for (const resolve of this.readyWaiters.splice(0)) resolve();
      }
      if (this.dirty.size === 0 && !this.fullDiff && !this.reload) this.pendingSince = undefined;
      // Give it back at once (as after the initial sync) rather than keep it until V8 gets to it.
      if (resync) collectGarbage();
    } catch (err) {
      for (const slot of slots) this.dirty.add(slot);
      this.reload = true;
      this.writeOk = false;
      metrics.errors.inc({ kind: 'etcd' });
      const delay = backoffDelay(this.attempt++, this.backoffBaseMs, this.backoffCapMs);
      logger.warn('etcd request failed; retrying', {
        error: (err as Error).message,
        retry_in_ms: delay,
        attempt: this.attempt,
      });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.schedule();
      }, delay);
    }
  }

  /** A new cluster id or an older revision: etcd lost its data (restored, re-created): re-read and rewrite. */
  private observe(epoch: StoreEpoch): void {
    const last = this.epoch;
    this.epoch = epoch;
    if (last === undefined || (last.clusterId === epoch.clusterId && last.revision <= epoch.revision)) return;
    this.options.logger.warn('etcd lost its data or was replaced; re-reading and rewriting every record', {
      cluster_id: epoch.clusterId,
      revision: epoch.revision,
      last_revision: last.revision,
    });
    this.reload = true;
  }

  private async write(puts: Array<[Slot, string]>, deletes: Slot[]): Promise<void> {
    const { store, logger, metrics } = this.options;
    const debug = logger.isDebugEnabled();
    for (let i = 0; i < puts.length && this.writing; i += this.batchSize) {
      const batch = puts.slice(i, i + this.batchSize);
      this.observe(
        await this.timed('txn', () =>
          store.apply(
            batch.map(([slot, value]) => [this.table.key(slot), value]),
            [],
          ),
        ),
      );
      metrics.transactions.inc();
      metrics.keysPut.inc(batch.length);
      for (const [slot, value] of batch) {
        this.table.setHave(slot, valueHash(value));
        if (debug) logger.debug('set record', { key: this.table.key(slot), value });
      }
    }
    for (let i = 0; i < deletes.length && this.writing; i += this.batchSize) {
      const batch = deletes.slice(i, i + this.batchSize);
      this.observe(
        await this.timed('txn', () =>
          store.apply(
            [],
            batch.map((slot) => this.table.key(slot)),
          ),
        ),
      );
      metrics.transactions.inc();
      metrics.keysDeleted.inc(batch.length);
      for (const slot of batch) {
        if (debug) logger.debug('removed record', { key: this.table.key(slot) });
        this.table.setHave(slot, undefined);
        this.table.prune(slot);
      }
    }
  }
}
