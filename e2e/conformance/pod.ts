import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '@kube-dns-legacy/control-plane';
import { EtcdServer, ManagedProcess, freeDnsPort, freePort, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot } from '../src/pod.js';
import { diffRecords, diffSize, expectedRecords, type ApiObject, type RecordDiff } from '../src/reliability-cluster.js';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';

// The DNS pod as local processes beside a real control plane: its own etcd, kube2sky running as the
// kube-dns ServiceAccount with a token the API server issued (in-cluster files bound at
// /var/run/secrets/kubernetes.io/serviceaccount in a private mount namespace, as in a pod), skydns.

const KUBE2SKY = join(repoRoot, 'packages', 'kube2sky', 'dist', 'main.js');
const SKYDNS = join(repoRoot, 'packages', 'skydns', 'dist', 'main.js');

/** The address every name outside the cluster resolves to, from the pod's stand-in upstream server. */
export const UPSTREAM_ADDRESS = '192.0.2.1';

/** skydns with the manifest's arguments (-stubzones included) on loopback ports, forwarding to a stand-in upstream (every A is UPSTREAM_ADDRESS). */
export interface Skydns {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly metricsPort: number;
  readonly upstream: Upstream;
}

/** A stand-in for the node's upstream resolver, on UDP and TCP. */
export interface Upstream {
  readonly port: number;
  close(): void;
}

/**
 * The upstream's reply to `query`, as the internet would answer for an IPv4-only name: an A question
 * for a name outside the reverse zones gets UPSTREAM_ADDRESS (TTL 60), other types of it no records
 * (NOERROR); reverse names are NXDOMAIN, as for private addresses.
 */
function upstreamReply(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  let end = 12;
  const labels: string[] = [];
  while (end < query.length && query[end] !== 0) {
    labels.push(query.toString('latin1', end + 1, end + 1 + (query[end] ?? 0)).toLowerCase());
    end += 1 + (query[end] ?? 0);
  }
  if (end + 5 > query.length) return undefined;
  const question = query.subarray(12, end + 5);
  const type = query.readUInt16BE(end + 1);
  const reverse = labels.at(-1) === 'arpa';
  const answer = type === 1 && !reverse;
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(reverse ? 0x8183 : 0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer ? 1 : 0, 6);
  header.writeUInt32BE(0, 8);
  const [a, b, c, d] = UPSTREAM_ADDRESS.split('.').map(Number);
  const record = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, a ?? 0, b ?? 0, c ?? 0, d ?? 0]);
  return Buffer.concat(answer ? [header, question, record] : [header, question]);
}

async function startUpstream(): Promise<Upstream> {
  const port = await freeDnsPort();
  const udp = createSocket('udp4');
  udp.on('message', (msg, peer) => {
    const reply = upstreamReply(msg);
    if (reply !== undefined) udp.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', resolve);
  });
  const tcp: Server = createServer((socket) => {
    let data = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const reply = upstreamReply(data.subarray(2, 2 + data.readUInt16BE(0)));
        data = data.subarray(2 + data.readUInt16BE(0));
        if (reply === undefined) continue;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([length, reply]));
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
  return {
    port,
    close: () => {
      udp.close();
      tcp.close();
    },
  };
}

async function startSkydns(etcdEndpoint: string): Promise<Skydns> {
  const port = await freeDnsPort();
  const metricsPort = await freePort();
  const upstream = await startUpstream();
  const proc = new ManagedProcess('skydns', process.execPath, [
    SKYDNS,
    `-machines=${etcdEndpoint}`,
    `-addr=127.0.0.1:${port}`,
    '-ns-rotate=false',
    '-domain=cluster.local.',
    '-stubzones',
    `-nameservers=127.0.0.1:${upstream.port}`,
    `-metrics-port=${metricsPort}`,
  ]);
  await proc.waitForOutput(/ready for queries/, 30_000);
  return { process: proc, port, metricsPort, upstream };
}

/** The user's manifests, in the order the README creates them. */
export const MANIFESTS = ['manifests/rbac.yaml', 'manifests/skydns-rc.yaml', 'manifests/skydns-svc.yaml'].map((m) =>
  join(repoRoot, m),
);

/** A node the pods are "scheduled" to: the EndpointSlice controller skips pods whose node does not exist. */
export const NODE = 'node-1';

/** The real control plane with the kube-dns objects created from the manifests and one Node. */
export async function startControlPlane(): Promise<ControlPlane> {
  for (const tool of ['etcd', 'etcdctl', 'dig', 'openssl', 'unshare']) requireTool(tool);
  const plane = await ControlPlane.start();
  try {
    await plane.kubectl(['create', ...MANIFESTS.flatMap((m) => ['-f', m])]);
    await plane.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
    });
    // The API server's own binding of the bootstrap role system:kube-dns would also grant the kube-dns
    // ServiceAccount list/watch on services and endpoints; empty it (and stop its reconciliation) so
    // kube2sky runs with exactly the RBAC of manifests/rbac.yaml.
    await plane.kubectl([
      'annotate',
      '--overwrite',
      'clusterrolebinding',
      'system:kube-dns',
      'rbac.authorization.kubernetes.io/autoupdate=false',
    ]);
    await plane.kubectl([
      'patch',
      'clusterrolebinding',
      'system:kube-dns',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/subjects"}]',
    ]);
  } catch (err) {
    await plane.stop();
    throw err;
  }
  return plane;
}

/** kube2sky (in-cluster, as kube-system/kube-dns), its etcd and skydns, beside a control plane. */
export class DnsPod {
  private constructor(
    readonly plane: ControlPlane,
    readonly etcd: EtcdServer,
    readonly root: string,
    readonly accountDir: string,
    readonly healthzPort: number,
    public kube2sky: ManagedProcess,
    readonly skydns: Skydns,
  ) {}

  /** Start the pod's processes with a fresh token of the kube-dns ServiceAccount and wait until kube2sky is ready. */
  static async start(plane: ControlPlane, kube2skyArgs: readonly string[] = []): Promise<DnsPod> {
    const root = await mkdtemp(join(tmpdir(), 'kdl-conformance-pod-'));
    const etcd = await EtcdServer.start();
    const accountDir = join(root, 'serviceaccount');
    await plane.writeServiceAccount(accountDir, await plane.serviceAccountToken('kube-system', 'kube-dns'));
    const healthzPort = await freePort();
    const kube2sky = await startKube2sky(plane, etcd, accountDir, healthzPort, kube2skyArgs);
    const skydns = await startSkydns(etcd.endpoint);
    const pod = new DnsPod(plane, etcd, root, accountDir, healthzPort, kube2sky, skydns);
    await pod.waitReady();
    return pod;
  }

  /** Restart kube2sky (SIGTERM, or SIGKILL as a crash) with the same token files and etcd. */
  async restartKube2sky(
    signal: NodeJS.Signals = 'SIGTERM',
    args: readonly string[] = [],
    waitReady = true,
  ): Promise<void> {
    await this.kube2sky.stop(signal);
    this.kube2sky = await startKube2sky(this.plane, this.etcd, this.accountDir, this.healthzPort, args);
    if (waitReady) await this.waitReady();
  }

  /** Wait until kube2sky's /readiness answers 200. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const proc = this.kube2sky;
    await waitFor(
      'kube2sky /readiness 200',
      async () => {
        if (!proc.alive) throw new Error(`kube2sky exited:\n${proc.output.slice(-4_000)}`);
        return (await fetch(`http://127.0.0.1:${this.healthzPort}/readiness`).catch(() => undefined))?.status === 200;
      },
      timeoutMs,
      200,
    );
  }

  /** One of kube2sky's metrics (summed over series matching `labels`, e.g. `resource="pods"`). */
  async metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.healthzPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (labels !== '' && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /** Every /skydns/ key and value in the pod's etcd. */
  async records(): Promise<Map<string, string>> {
    return this.etcd.dump('/skydns/');
  }

  /** Stop the pod's processes and remove their files. */
  async stop(): Promise<void> {
    await this.kube2sky.stop();
    await this.skydns.process.stop();
    this.skydns.upstream.close();
    await this.etcd.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}

async function startKube2sky(
  plane: ControlPlane,
  etcd: EtcdServer,
  accountDir: string,
  healthzPort: number,
  args: readonly string[],
): Promise<ManagedProcess> {
  const script =
    'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && mount --bind "$0" /run/secrets/kubernetes.io/serviceaccount && exec "$@"';
  return new ManagedProcess(
    'kube2sky',
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      accountDir,
      process.execPath,
      KUBE2SKY,
      '--domain=cluster.local',
      `--etcd-server=${etcd.endpoint}`,
      `--healthz-port=${healthzPort}`,
      ...args,
    ],
    { env: { PATH: process.env['PATH'], ...plane.inClusterEnv } },
  );
}

/** The records the control plane's Services and Pods call for (ClusterIP, ExternalName, pods; no headless), per docs/kube2sky.md. */
export async function desiredRecords(plane: ControlPlane): Promise<Map<string, string>> {
  const list = async (kind: string): Promise<ApiObject[]> =>
    (JSON.parse(await plane.kubectl(['get', kind, '-A', '-o', 'json'])) as { items: ApiObject[] }).items;
  return expectedRecords(await list('services'), await list('pods'));
}

/** Wait until the pod's etcd holds exactly what the API objects call for: no stale key, none missing, none different. */
export async function converge(pod: DnsPod, what: string, timeoutMs = 60_000): Promise<void> {
  let diff: RecordDiff = { missing: [], stale: [], wrong: [] };
  await waitFor(
    what,
    async () => {
      diff = diffRecords(await desiredRecords(pod.plane), await pod.records());
      return diffSize(diff) === 0;
    },
    timeoutMs,
    500,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}: ${JSON.stringify(diff).slice(0, 3_000)}\nkube2sky:\n${pod.kube2sky.output.slice(-3_000)}`,
    );
  });
}
