import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTestCertificates, type TestCertificates } from './certificates.js';
import { parseEtcdctlGet } from './etcd.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { requireTool } from './tools.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** One member of an EtcdCluster. */
interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  process: ManagedProcess | undefined;
}

/**
 * A real etcd cluster of several members on loopback (Debian's etcd), optionally with TLS on the
 * client URLs (client certificates required). Members can be killed, restarted, removed and added back.
 */
export class EtcdCluster {
  private constructor(
    private readonly members: Member[],
    private readonly dir: string,
    /** The CA and the `client` certificate clients must use, with `tls`. */
    readonly certificates: TestCertificates | undefined,
  ) {}

  /** Start `size` members (default 3) and wait until every one answers. */
  static async start(options: { size?: number; tls?: boolean } = {}): Promise<EtcdCluster> {
    requireTool('etcd');
    requireTool('etcdctl');
    const dir = await mkdtemp(join(tmpdir(), 'kdl-etcd-cluster-'));
    const certificates = options.tls ? await makeTestCertificates(dir, 'ca', ['server', 'client']) : undefined;
    // Free ports one after the other can repeat (each probe closes before the next): take distinct ones.
    const ports = new Set<number>();
    while (ports.size < 2 * (options.size ?? 3)) ports.add(await freePort());
    const [...free] = ports;
    const members: Member[] = [];
    for (let i = 0; i < (options.size ?? 3); i++)
      members.push({ name: `m${i}`, clientPort: free[2 * i] ?? 0, peerPort: free[2 * i + 1] ?? 0, process: undefined });
    const cluster = new EtcdCluster(members, dir, certificates);
    for (const m of members) cluster.launch(m, 'new', members);
    try {
      for (const m of members) await cluster.waitHealthy(m);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private url(port: number): string {
    return `${this.certificates === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  }

  private peer(m: Member): string {
    return `http://127.0.0.1:${m.peerPort}`;
  }

  /** Every member's client URL. */
  get endpoints(): string[] {
    return this.members.map((m) => this.url(m.clientPort));
  }

  /** The client URLs as one comma-separated list (kube2sky's --etcd-server, skydns's -machines). */
  get endpoint(): string {
    return this.endpoints.join(',');
  }

  /** Output of every member so far (for failure messages). */
  get output(): string {
    return this.members.map((m) => `--- ${m.name}\n${m.process?.output.slice(-2_000) ?? ''}`).join('\n');
  }

  private launch(m: Member, state: 'new' | 'existing', cluster: readonly Member[]): void {
    const tls =
      this.certificates === undefined
        ? []
        : [
            '--cert-file',
            this.certificates.leaves['server']?.cert ?? '',
            '--key-file',
            this.certificates.leaves['server']?.key ?? '',
            '--trusted-ca-file',
            this.certificates.ca,
            '--client-cert-auth',
          ];
    m.process = new ManagedProcess(`etcd ${m.name}`, 'etcd', [
      '--name',
      m.name,
      '--data-dir',
      join(this.dir, m.name),
      '--listen-client-urls',
      this.url(m.clientPort),
      '--advertise-client-urls',
      this.url(m.clientPort),
      '--listen-peer-urls',
      this.peer(m),
      '--initial-advertise-peer-urls',
      this.peer(m),
      '--initial-cluster',
      cluster.map((c) => `${c.name}=${this.peer(c)}`).join(','),
      '--initial-cluster-state',
      state,
      '--initial-cluster-token',
      'kdl-test',
      '--log-level',
      'error',
      ...tls,
    ]);
  }

  private async waitHealthy(m: Member, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `etcd ${m.name} to be healthy`,
      async () => {
        if (m.process?.alive !== true) throw new Error(`etcd ${m.name} exited: ${m.process?.output ?? ''}`);
        await this.etcdctl(['--endpoints', this.url(m.clientPort), 'endpoint', 'health', '--command-timeout=2s']);
        return true;
      },
      timeoutMs,
      200,
    );
  }

  /** Run etcdctl (API v3) against every member (or `--endpoints` given first in `args`); resolves with stdout. */
  async etcdctl(args: readonly string[]): Promise<string> {
    const tls =
      this.certificates === undefined
        ? []
        : [
            `--cacert=${this.certificates.ca}`,
            `--cert=${this.certificates.leaves['client']?.cert ?? ''}`,
            `--key=${this.certificates.leaves['client']?.key ?? ''}`,
          ];
    const endpoints = args[0] === '--endpoints' ? [`--endpoints=${args[1] ?? ''}`] : [`--endpoints=${this.endpoint}`];
    const rest = args[0] === '--endpoints' ? args.slice(2) : args;
    const { stdout } = await run('etcdctl', [...endpoints, ...tls, ...rest], {
      env: { ...process.env, ETCDCTL_API: '3' },
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  }

  /** Every key and value under `prefix`, read through the members that run. */
  async dump(prefix = '/skydns/'): Promise<Map<string, string>> {
    const alive = this.members
      .filter((m) => m.process?.alive === true)
      .map((m) => this.url(m.clientPort))
      .join(',');
    return parseEtcdctlGet(await this.etcdctl(['--endpoints', alive, 'get', '--prefix', prefix]));
  }

  /** The index of the member that leads now (etcdctl's simple status line: endpoint, ID, version, size, IS LEADER, …). */
  async leader(): Promise<number> {
    for (const [i, m] of this.members.entries()) {
      if (m.process?.alive !== true) continue;
      const out = await this.etcdctl(['--endpoints', this.url(m.clientPort), 'endpoint', 'status']).catch(() => '');
      if (out.split(', ')[4] === 'true') return i;
    }
    throw new Error('no member leads');
  }

  /** SIGKILL member `i`, as a crash would. */
  async kill(i: number): Promise<void> {
    await this.members[i]?.process?.stop('SIGKILL');
  }

  /** Restart member `i` on its ports and data and wait until it is healthy. */
  async resume(i: number): Promise<void> {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    this.launch(m, 'existing', this.members);
    await this.waitHealthy(m);
  }

  /** Remove member `i` from the cluster (etcdctl member remove), stop it and delete its data. */
  async removeMember(i: number): Promise<void> {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    // The simple format gives the IDs in hex (JSON's are uint64 numbers, beyond a double's precision).
    const line = (await this.etcdctl(['member', 'list'])).split('\n').find((l) => l.split(', ')[2] === m.name);
    if (line === undefined) throw new Error(`${m.name} is not a member`);
    // etcd refuses a reconfiguration while a member restarted in the last seconds ("unhealthy cluster").
    await waitFor(
      `etcd to remove ${m.name}`,
      // An attempt whose answer was lost may have removed it already: "member not found" is done too.
      async () =>
        this.etcdctl(['member', 'remove', line.split(', ')[0] ?? '']).then(
          () => true,
          (err: Error) => {
            if (/member not found/.test(err.message)) return true;
            throw err;
          },
        ),
      30_000,
      500,
    );
    await m.process?.stop('SIGTERM');
    await rm(join(this.dir, m.name), { recursive: true, force: true });
  }

  /** Add member `i` back (etcdctl member add), start it with empty data and wait until it is healthy. */
  async addMember(i: number): Promise<void> {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    await waitFor(
      `etcd to add ${m.name}`,
      async () => (await this.etcdctl(['member', 'add', m.name, `--peer-urls=${this.peer(m)}`])) !== undefined,
      30_000,
      500,
    );
    this.launch(m, 'existing', this.members);
    await this.waitHealthy(m, 60_000);
  }

  /** Stop every member and remove the data. */
  async stop(): Promise<void> {
    for (const m of this.members) await m.process?.stop('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }
}
