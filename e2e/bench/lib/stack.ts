import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { ControlPlane } from '@kube-dns-legacy/control-plane';
import { freeDnsPort, freePort, ManagedProcess } from '@kube-dns-legacy/testkit';
import { heapSnapshotFlags } from './heap.js';
import type { ApiCredentials } from './sandbox-client.js';

/** The repository's top directory. */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/** The cluster domain every benchmark serves. */
export const DOMAIN = 'cluster.local';

/**
 * Node flags for our processes: `BENCH_CPU_PROF=<dir>` adds `--cpu-prof` (a .cpuprofile per process),
 * `BENCH_HEAP_PROF=<dir>` adds `--heap-prof` (a sampling .heapprofile of what is still allocated); both written at exit.
 */
function nodeFlags(name: string): string[] {
  const cpu = process.env['BENCH_CPU_PROF'];
  const heap = process.env['BENCH_HEAP_PROF'];
  const snapshots = process.env['BENCH_HEAP_SNAPSHOT'];
  return [
    ...(snapshots ? heapSnapshotFlags(snapshots) : []),
    ...(cpu ? ['--cpu-prof', `--cpu-prof-dir=${cpu}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : []),
    ...(heap ? ['--heap-prof', `--heap-prof-dir=${heap}`, `--heap-prof-name=${name}-${Date.now()}.heapprofile`] : []),
  ];
}

function mainOf(pkg: string): string {
  return join(repoRoot, 'packages', pkg, 'dist', 'main.js');
}

/** The pid of a started process (throws when the spawn failed). */
export function pidOf(proc: ManagedProcess): number {
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error(`${proc.name} did not start: ${proc.output}`);
  return pid;
}

/** The Kubernetes API server the benchmark talks to: the sandbox as its own process, or a real control plane's kube-apiserver. */
export interface Sandbox {
  readonly process: ManagedProcess;
  readonly url: string;
  readonly kubeconfig: string;
  /** A real API server's token and CA (the sandbox needs none). */
  readonly credentials?: ApiCredentials;
  /** Stops what else runs with it (a real control plane's controller manager and etcd). */
  readonly stop?: () => Promise<void>;
}

/** Start a real control plane (packages/control-plane) with a service range large enough for the benchmark. */
export async function startRealApi(dir: string, serviceCidr = '10.0.0.0/16,fd00:10::/108'): Promise<Sandbox> {
  const plane = await ControlPlane.start({ stateDir: join(dir, 'control-plane'), serviceCidr });
  const proc = plane.apiServerProcess;
  if (proc === undefined) throw new Error('kube-apiserver is not running');
  return {
    process: proc,
    url: plane.url,
    kubeconfig: plane.kubeconfig,
    credentials: { token: plane.adminToken, ca: readFileSync(plane.pki.caCert) },
    stop: () => plane.stop(),
  };
}

/** Start the sandbox API server (`sandbox-apiserver` executable) with a service CIDR large enough for the benchmark. */
export async function startSandbox(dir: string, serviceCidr = '10.0.0.0/16'): Promise<Sandbox> {
  const kubeconfig = join(dir, 'kubeconfig');
  const proc = new ManagedProcess('sandbox-apiserver', process.execPath, [
    ...nodeFlags('sandbox-apiserver'),
    mainOf('sandbox-apiserver'),
    '--port',
    '0',
    '--kubeconfig',
    kubeconfig,
    '--service-cidr',
    serviceCidr,
    '--history',
    '100000',
    '--log-level',
    'warn',
  ]);
  const match = await proc.waitForOutput(/^url: (\S+)$/m, 30_000);
  return { process: proc, url: match[1] as string, kubeconfig };
}

/** A started kube2sky and the port of its /readiness and /metrics. */
export interface Kube2sky {
  readonly process: ManagedProcess;
  readonly healthzPort: number;
}

/** The environment the kube2sky and skydns images set (docker/*.Dockerfile), so memory is measured as deployed. */
const IMAGE_ENV = { ...process.env, MALLOC_ARENA_MAX: '2' };

/** Start kube2sky (`dist/main.js`) against etcd and the sandbox; does not wait for readiness. */
export async function startKube2sky(
  etcd: { readonly endpoint: string },
  kubeconfig: string,
  extra: readonly string[] = [],
): Promise<Kube2sky> {
  const healthzPort = await freePort();
  const proc = new ManagedProcess(
    'kube2sky',
    process.execPath,
    [
      ...nodeFlags('kube2sky'),
      mainOf('kube2sky'),
      `--domain=${DOMAIN}`,
      `--etcd-server=${etcd.endpoint}`,
      `--kubecfg-file=${kubeconfig}`,
      `--healthz-port=${healthzPort}`,
      '--log-level=warn',
      ...extra,
    ],
    { env: IMAGE_ENV },
  );
  return { process: proc, healthzPort };
}

/** Poll kube2sky's /readiness every 10 ms until it answers 200; resolves with the time it first did (performance.now()). */
export async function kube2skyReady(k: Kube2sky, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!k.process.alive) throw new Error(`kube2sky exited before it was ready:\n${k.process.output.slice(-4000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${k.healthzPort}/readiness`);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline)
      throw new Error(`kube2sky was not ready within ${timeoutMs} ms:\n${k.process.output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A started skydns: DNS port and metrics port. */
export interface Skydns {
  readonly process: ManagedProcess;
  readonly dnsPort: number;
  readonly metricsPort: number;
}

/** Start skydns (`dist/main.js`) with the manifest's flags on free loopback ports; resolves once it listens. */
export async function startSkydns(
  etcd: { readonly endpoint: string },
  extra: readonly string[] = [],
  name = 'skydns',
  env: Readonly<Record<string, string>> = {},
): Promise<Skydns> {
  const dnsPort = await freeDnsPort();
  const metricsPort = await freePort();
  const proc = new ManagedProcess(
    name,
    process.execPath,
    [
      ...nodeFlags(name),
      mainOf('skydns'),
      `-machines=${etcd.endpoint}`,
      `-addr=127.0.0.1:${dnsPort}`,
      '-ns-rotate=false',
      `-domain=${DOMAIN}.`,
      '-no-rec',
      `--metrics-port=${metricsPort}`,
      ...extra,
    ],
    { env: { ...IMAGE_ENV, ...env } },
  );
  await proc.waitForOutput(/ready for queries/, 30_000);
  return { process: proc, dnsPort, metricsPort };
}

/** One sample of a Prometheus text exposition: the value of `name` (with an optional label filter such as `op="load"`), summed over matching series. */
export async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (labels !== '' && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? sum : NaN;
}

/** Stop processes in order (SIGTERM, then SIGKILL after a grace period), ignoring ones already gone. */
export async function stopAll(...procs: Array<ManagedProcess | undefined>): Promise<void> {
  for (const p of procs) await p?.stop('SIGTERM', 10_000);
}
