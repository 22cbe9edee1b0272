import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Logger } from '@kube-dns-legacy/processkit';
import { ApiStatusError, requestJson } from './api.js';
import type { Metrics } from './metrics.js';

/** How kube2sky elects one writer among its replicas (the flags of Kubernetes components). */
export interface LeaderElectionConfig {
  /** The Lease's namespace and name. */
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (the Lease's holderIdentity while it leads). */
  readonly identity: string;
  /** How long a Lease holds without renewal before another replica may take it. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it stops writing (less than the lease duration). */
  readonly renewDeadlineMs: number;
  /** How often every replica tries to acquire or renew. */
  readonly retryPeriodMs: number;
}

/** What the elector needs besides its configuration. */
export interface LeaderElectorOptions extends LeaderElectionConfig {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called when this replica starts leading: it may write from now on. */
  readonly onStartedLeading: () => void;
  /** Called when this replica stops leading (lost, not renewed in time, or released): it must not write any more. */
  readonly onStoppedLeading: () => void;
}

/** The parts of a coordination.k8s.io/v1 Lease the election reads and writes. */
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
  };
}

/** A Kubernetes MicroTime: RFC 3339 with exactly six fraction digits, as the API server requires. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does: every
 * replica tries every retry period; the holder renews; another takes over only when the holder has
 * not renewed for a lease duration as observed on its own clock (no clock skew matters); updates
 * carry the resourceVersion read, so two replicas cannot both win. A leader that cannot renew within
 * the renew deadline stops leading before the lease runs out, so it stops writing before another can
 * start. stop() releases the Lease so a successor need not wait.
 */
export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private lastRenewMs = 0;
  /** The holder and renew time last seen, and when (local clock) they last changed. */
  private observed: { holder: string; renewTime: string; durationMs: number } | undefined;
  private observedAtMs = 0;
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectorOptions) {}

  /** True while this replica leads. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The identity of the replica that holds the Lease as last seen ('' when none). */
  get leader(): string {
    return this.leading ? this.options.identity : (this.observed?.holder ?? '');
  }

  /** Start trying to acquire the Lease. */
  start(): void {
    this.stopped = false;
    this.options.metrics.leader.set({ identity: this.options.identity }, 0);
    this.schedule(0);
  }

  /** Stop taking part; a leader stops leading and releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    if (!this.leading) return;
    this.stopLeading('released on shutdown');
    try {
      const lease = await this.get();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        const now = microTime(Date.now());
        await this.put({
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        });
      }
    } catch (err) {
      this.options.logger.warn('could not release the leader Lease; the next leader waits for it to expire', {
        error: (err as Error).message,
      });
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        // client-go's jitter: up to 20 % more, so the replicas do not ask in lockstep.
        this.schedule(this.options.retryPeriodMs * (1 + 0.2 * Math.random()));
      });
    }, delayMs);
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  private async get(): Promise<Lease | undefined> {
    try {
      return (await requestJson(
        this.options.kubeConfig,
        'GET',
        this.path(this.options.name),
        'reading the leader Lease',
        this.options.retryPeriodMs,
      )) as Lease;
    } catch (err) {
      if (err instanceof ApiStatusError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  private async put(lease: Lease): Promise<Lease> {
    return (await requestJson(
      this.options.kubeConfig,
      'PUT',
      this.path(lease.metadata.name),
      'updating the leader Lease',
      this.options.retryPeriodMs,
      lease,
    )) as Lease;
  }

  private async tick(): Promise<void> {
    const { identity, name, namespace, logger } = this.options;
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    try {
      const lease = await this.get();
      const now = Date.now();
      if (lease === undefined) {
        const created = (await requestJson(
          this.options.kubeConfig,
          'POST',
          this.path(),
          'creating the leader Lease',
          this.options.retryPeriodMs,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
        )) as Lease;
        this.observe(created, now);
        this.renewed(now, 'created the Lease');
        return;
      }
      this.observe(lease, now);
      const holder = lease.spec?.holderIdentity ?? '';
      if (holder === identity) {
        this.observe(
          await this.put({
            ...lease,
            spec: { ...lease.spec, renewTime: microTime(now), leaseDurationSeconds: durationSeconds },
          }),
          now,
        );
        this.renewed(now, 'renewed');
        return;
      }
      const expired =
        holder === '' || now >= this.observedAtMs + (this.observed?.durationMs ?? this.options.leaseDurationMs);
      if (!expired) {
        if (this.leading) this.stopLeading(`the Lease is held by ${holder}`);
        return;
      }
      const spec = lease.spec ?? {};
      const taken = await this.put({
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === '' ? 0 : 1),
        },
      });
      this.observe(taken, now);
      this.renewed(now, holder === '' ? 'acquired the released Lease' : `took over from ${holder}`);
    } catch (err) {
      // A 409 is another replica winning the race; anything else is the API server being away.
      const conflict = err instanceof ApiStatusError && err.statusCode === 409;
      if (!conflict) {
        this.options.metrics.errors.inc({ kind: 'leader_election' });
        logger.warn('leader election request failed', { error: (err as Error).message, leading: this.leading });
      }
    } finally {
      if (this.leading && Date.now() - this.lastRenewMs > this.options.renewDeadlineMs) {
        this.stopLeading(`not renewed within the renew deadline (${this.options.renewDeadlineMs} ms)`);
      }
    }
  }

  private observe(lease: Lease, now: number): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime ?? '';
    const durationMs = (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.options.leaseDurationMs / 1000)) * 1000;
    if (this.observed === undefined || this.observed.holder !== holder || this.observed.renewTime !== renewTime)
      this.observedAtMs = now;
    this.observed = { holder, renewTime, durationMs };
  }

  private renewed(now: number, how: string): void {
    this.lastRenewMs = now;
    if (this.leading) return;
    this.leading = true;
    this.options.metrics.leader.set({ identity: this.options.identity }, 1);
    this.options.metrics.leaderTransitions.inc();
    this.options.logger.info('started leading: this replica writes to etcd', {
      identity: this.options.identity,
      lease: `${this.options.namespace}/${this.options.name}`,
      how,
    });
    this.options.onStartedLeading();
  }

  private stopLeading(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.options.metrics.leader.set({ identity: this.options.identity }, 0);
    this.options.logger.warn('stopped leading: no more etcd writes from this replica', {
      identity: this.options.identity,
      why,
    });
    this.options.onStoppedLeading();
  }
}
