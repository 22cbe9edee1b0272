import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ManagedProcess, requireTool } from '@kube-dns-legacy/testkit';

const exec = promisify(execFile);

/** The repository's top directory. */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/** A running local pod (`kube-dns-pod --free-ports`) and what it printed for the user. */
export interface LocalPod {
  readonly process: ManagedProcess;
  readonly stateDir: string;
  readonly dnsPort: number;
  readonly etcdEndpoint: string;
  readonly kubeconfig: string;
  /** The commands printed under "Try:", in order. */
  readonly tryCommands: readonly string[];
  stop(): Promise<void>;
}

/** Start the local pod with the sandbox API on free ports and wait until it says it is ready. */
export async function startLocalPod(extraArgs: readonly string[] = []): Promise<LocalPod> {
  const stateDir = await mkdtemp(join(tmpdir(), 'kdl-pod-'));
  const process = new ManagedProcess(
    'kube-dns-pod',
    'node',
    [join(repoRoot, 'packages', 'local-pod', 'dist', 'main.js'), '--free-ports', '--state-dir', stateDir, ...extraArgs],
    { cwd: repoRoot },
  );
  try {
    await process.waitForOutput(/Stop with Ctrl-C\./, 90_000);
  } catch (err) {
    await process.stop();
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const text = process.output;
  const serving = /serving \S+ on 127\.0\.0\.1:(\d+)/.exec(text);
  const etcd = /etcdctl --endpoints=(\S+) get/.exec(text);
  const tryBlock = text.slice(text.indexOf('Try:\n') + 5, text.indexOf('Stop with Ctrl-C.'));
  return {
    process,
    stateDir,
    dnsPort: Number(serving?.[1]),
    etcdEndpoint: etcd?.[1] ?? '',
    kubeconfig: join(stateDir, 'kubeconfig'),
    tryCommands: tryBlock
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    async stop(): Promise<void> {
      await process.stop('SIGINT', 20_000);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Run a command line with `sh -c` in the repository (as a user would paste it); resolves with stdout. */
export async function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await exec('sh', ['-c', command], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** `dig +short` of a name and type against the pod; one answer per line. */
export async function digShort(pod: LocalPod, name: string, type = 'A', ...options: string[]): Promise<string[]> {
  requireTool('dig');
  const out = await sh(`dig @127.0.0.1 -p ${pod.dnsPort} +short +time=2 +tries=1 ${options.join(' ')} ${type} ${name}`);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

/** The status line of a full `dig` answer (`NOERROR`, `NXDOMAIN`, …). */
export async function digStatus(pod: LocalPod, name: string, type = 'A'): Promise<string> {
  const out = await sh(`dig @127.0.0.1 -p ${pod.dnsPort} +time=2 +tries=1 ${type} ${name}`);
  return /status: (\w+)/.exec(out)?.[1] ?? `no status in: ${out}`;
}

/** Run the real kubectl against the pod's sandbox API server. */
export async function kubectl(pod: LocalPod, ...args: string[]): Promise<string> {
  requireTool('kubectl');
  const { stdout } = await exec('kubectl', ['--kubeconfig', pod.kubeconfig, ...args], { cwd: repoRoot });
  return stdout;
}
