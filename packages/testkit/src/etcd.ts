import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { requireTool } from './tools.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** The output of `etcdctl get` (a key line, then its value line, for each key) as a map of key to value. */
export function parseEtcdctlGet(output: string): Map<string, string> {
  const lines = output.split('\n');
  const entries = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) entries.set(lines[i] ?? '', lines[i + 1] ?? '');
  return entries;
}

/** A real etcd server on loopback with a temporary data dir. */
export class EtcdServer {
  private process: ManagedProcess | undefined;

  private constructor(
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
  ) {}

  /** Start etcd on free loopback ports and wait until it answers. */
  static async start(): Promise<EtcdServer> {
    requireTool('etcd');
    const dataDir = await mkdtemp(join(tmpdir(), 'kdl-etcd-'));
    const server = new EtcdServer(await freePort(), await freePort(), dataDir);
    await server.resume();
    return server;
  }

  /** The client URL, e.g. http://127.0.0.1:34567. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  /** The etcd process output so far (for failure messages). */
  get output(): string {
    return this.process?.output ?? '';
  }

  /** True while the etcd process runs. */
  get running(): boolean {
    return this.process?.alive ?? false;
  }

  /** (Re)start etcd on the same ports and data dir (wiped first when `empty`), and wait until it answers. */
  async resume(options: { empty?: boolean } = {}): Promise<void> {
    if (this.running) throw new Error('etcd is already running');
    if (options.empty) await rm(this.dataDir, { recursive: true, force: true });
    const peer = `http://127.0.0.1:${this.peerPort}`;
    this.process = new ManagedProcess('etcd', 'etcd', [
      '--name',
      'test',
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      this.endpoint,
      '--advertise-client-urls',
      this.endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `test=${peer}`,
      '--log-level',
      'error',
    ]);
    const proc = this.process;
    await waitFor(
      `etcd on ${this.endpoint} to answer`,
      async () => {
        if (!proc.alive) throw new Error(`etcd exited: ${proc.output}`);
        const res = await fetch(`${this.endpoint}/health`);
        const body = (await res.json()) as { health?: string };
        return body.health === 'true';
      },
      20_000,
      50,
    );
  }

  /** Kill etcd at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }

  /** Stop etcd gracefully. */
  async pause(): Promise<void> {
    await this.process?.stop('SIGTERM');
  }

  /** Run the real etcdctl (API v3) against this server; resolves with stdout. */
  async etcdctl(...args: string[]): Promise<string> {
    requireTool('etcdctl');
    const { stdout } = await run('etcdctl', [`--endpoints=${this.endpoint}`, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  }

  /** Every key and value under `prefix`, as `etcdctl get --prefix` prints them, parsed into a map. */
  async dump(prefix = '/skydns/'): Promise<Map<string, string>> {
    return parseEtcdctlGet(await this.etcdctl('get', '--prefix', prefix));
  }

  /** Stop etcd and remove its data dir. */
  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM');
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
