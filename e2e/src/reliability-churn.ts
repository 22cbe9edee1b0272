import type { Cluster, EtcdBackend } from './reliability-cluster.js';
import { QTYPE, udpQuery } from './reliability-dns.js';

export { seededRandom as rng } from '@kube-dns-legacy/testkit';

/** Counts of what the churn did. */
export interface ChurnCounts {
  create: number;
  update: number;
  delete: number;
  /** Requests the API refused or failed (expected while it answers 500). */
  failed: number;
}

const SERVICES = '/api/v1/namespaces/default/services';

/** Creates, updates and deletes ClusterIP and ExternalName services in `default` until stopped. */
export class Churn {
  readonly counts: ChurnCounts = { create: 0, update: 0, delete: 0, failed: 0 };
  private readonly names: string[] = [];
  private readonly external = new Set<string>();
  private serial = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: Cluster<EtcdBackend>,
    private readonly random: () => number,
    private readonly maxServices = 40,
    private readonly pauseMs = 15,
  ) {}

  private pick(): string | undefined {
    return this.names[Math.floor(this.random() * this.names.length)];
  }

  private ports(): { name?: string; port: number; protocol: string }[] {
    // A ClusterIP service needs a port; with several, each needs a name (API validation).
    const count = 1 + Math.floor(this.random() * 3);
    return Array.from({ length: count }, (_, i) => ({
      ...(count > 1 || this.random() < 0.6 ? { name: `p${i}-${Math.floor(this.random() * 3)}` } : {}),
      port: 1000 + i * 7 + Math.floor(this.random() * 5),
      protocol: this.random() < 0.3 ? 'UDP' : 'TCP',
    }));
  }

  /** One random operation; returns its kind. */
  async step(): Promise<keyof ChurnCounts> {
    const r = this.random();
    const target = this.pick();
    if (target === undefined || (r < 0.45 && this.names.length < this.maxServices)) {
      const name = `churn-${this.serial++}`;
      const external = this.random() < 0.25;
      const spec = external
        ? { type: 'ExternalName', externalName: `e${this.serial}.example.com` }
        : { type: 'ClusterIP', ports: this.ports() };
      const status = await this.cluster.apiSend('POST', SERVICES, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec,
      });
      if (status !== 201) return this.fail();
      this.names.push(name);
      if (external) this.external.add(name);
      this.counts.create++;
      return 'create';
    }
    if (r < 0.75) {
      // An ExternalName service gets a new target, a ClusterIP service new ports.
      const spec = this.external.has(target)
        ? { externalName: `u${this.serial++}.example.org` }
        : { ports: this.ports() };
      const status = await this.cluster.apiSend(
        'PATCH',
        `${SERVICES}/${target}`,
        { spec },
        'application/merge-patch+json',
      );
      if (status !== 200) return this.fail();
      this.counts.update++;
      return 'update';
    }
    const status = await this.cluster.apiSend('DELETE', `${SERVICES}/${target}`);
    if (status !== 200) return this.fail();
    this.names.splice(this.names.indexOf(target), 1);
    this.external.delete(target);
    this.counts.delete++;
    return 'delete';
  }

  private fail(): 'failed' {
    this.counts.failed++;
    return 'failed';
  }

  /** Run steps until `stop()`. */
  start(): void {
    this.running = true;
    this.loop = (async (): Promise<void> => {
      while (this.running) {
        await this.step().catch(() => this.fail());
        await new Promise((r) => setTimeout(r, this.pauseMs));
      }
    })();
  }

  /** Stop after the step in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Total operations that succeeded. */
  get total(): number {
    return this.counts.create + this.counts.update + this.counts.delete;
  }
}

/** Queries fixed names over UDP every few milliseconds and records every answer that is not the expected one. */
export class Prober {
  ok = 0;
  timeouts = 0;
  readonly bad: string[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: number,
    private readonly names: ReadonlyMap<string, string>,
    private readonly intervalMs = 20,
  ) {}

  /** Forget what was seen so far (start a new window). */
  reset(): void {
    this.ok = 0;
    this.timeouts = 0;
    this.bad.length = 0;
  }

  /** Start probing. */
  start(): void {
    this.running = true;
    this.loop = (async (): Promise<void> => {
      while (this.running) {
        await Promise.all(
          [...this.names].map(async ([name, ip]) => {
            try {
              const reply = await udpQuery(this.port, name, QTYPE.A, 1_000);
              const got = reply.answers.map((a) => a.data).join(',');
              if (reply.rcode === 'NOERROR' && got === ip) this.ok++;
              else this.bad.push(`${new Date().toISOString()} ${name}: ${reply.rcode} ${got}`);
            } catch {
              this.timeouts++;
            }
          }),
        );
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  /** Stop probing. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
