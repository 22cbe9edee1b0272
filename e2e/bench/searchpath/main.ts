// The pod search path with and without skydns -autopath (issue 14), beside CoreDNS's `autopath
// @kubernetes`: a client bound to a pod's address walks `search app.svc.cluster.local
// svc.cluster.local cluster.local` with ndots:5, as glibc does (A questions, one after the other,
// stopping at the first answer), for names in its own namespace, in another namespace, and outside
// the cluster (dnsmasq as the upstream of both). skydns reads records put into etcd; CoreDNS's
// kubernetes plugin (`pods verified`) reads the same services and the pod from a real control plane
// (packages/control-plane; without Go it is left out, in one line).
// Not a test: prints questions per lookup and lookup latency.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord, leafLabel, nameToKey, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { ControlPlane, goBinDir } from '@kube-dns-legacy/control-plane';
import { EtcdServer, ManagedProcess, freeDnsPort, requireTool, startDnsmasq, waitFor } from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { startCoredns, type PeerServer } from '../lib/peers.js';
import { table } from '../lib/report.js';
import { DOMAIN, repoRoot, stopAll } from '../lib/stack.js';
import { fmt, summarize } from '../lib/stats.js';
import { queryMessage } from '../lib/udp-probe.js';

const args = parseArgs(
  'bench-searchpath',
  'A pod resolver walking its search path against skydns with and without -autopath and CoreDNS autopath (issue 14).',
  { lookups: ['lookups per kind of name and setting', 2000, 200] },
);

const POD = '127.0.0.5';
const SEARCH = [`app.svc.${DOMAIN}`, `svc.${DOMAIN}`, DOMAIN];
const KINDS: ReadonlyArray<readonly [string, (i: number) => string]> = [
  ['own namespace (svc)', (i) => `web${i % 50}`],
  ['other namespace (svc.other)', (i) => `db${i % 50}.other`],
  ['outside the cluster (www.example.org)', (i) => `www${i % 50}.example.org`],
];

/** A UDP client bound to the pod's address, one question at a time. */
class PodClient {
  private waiting: ((reply: Buffer | undefined) => void) | undefined;
  private id = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
  ) {
    socket.on('message', (msg) => {
      if (msg.readUInt16BE(0) === this.id) this.waiting?.(msg);
    });
  }

  static async open(port: number): Promise<PodClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, POD, () => resolve()));
    return new PodClient(socket, port);
  }

  /** The rcode and answer count of one A question (undefined after 2 s). */
  ask(name: string): Promise<{ rcode: number; answers: number } | undefined> {
    this.id = (this.id % 65535) + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 2000);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply && { rcode: (reply[3] as number) & 0xf, answers: reply.readUInt16BE(6) });
      };
      this.socket.send(queryMessage(this.id, name, 1), this.port, '127.0.0.1');
    });
  }

  /** glibc's walk for a name with fewer than 5 dots: each search domain, then the name itself. */
  async lookup(name: string): Promise<{ questions: number; found: boolean }> {
    let questions = 0;
    for (const candidate of [...SEARCH.map((s) => `${name}.${s}`), name]) {
      questions++;
      const reply = await this.ask(candidate);
      if (reply !== undefined && reply.rcode === 0 && reply.answers > 0) return { questions, found: true };
    }
    return { questions, found: false };
  }

  close(): void {
    this.socket.close();
  }
}

async function put(etcd: EtcdServer, name: string, record: SkyRecord): Promise<void> {
  const value = encodeRecord(record);
  await etcd.etcdctl('put', `${nameToKey(name)}/${leafLabel(value)}`, value);
}

/** The services of the bench as API objects, and the client pod on POD (its status set separately). */
function clusterObjects(): object[] {
  const service = (name: string, namespace: string): object => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: [{ name: 'http', port: 80 }] },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
    ...Array.from({ length: 50 }, (_, i) => [service(`web${i}`, 'app'), service(`db${i}`, 'other')]).flat(),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'app' },
      spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
    },
  ];
}

/** A control plane holding the bench's objects, or the one line saying why CoreDNS is left out. */
async function startPlane(dir: string): Promise<ControlPlane | string> {
  try {
    await goBinDir('coredns');
  } catch (err) {
    return `CoreDNS not measured: ${(err as Error).message.split('\n')[0]}`;
  }
  const plane = await ControlPlane.start({ stateDir: join(dir, 'control-plane') });
  try {
    await plane.apply(...clusterObjects().slice(0, 2));
    await waitFor(
      'the default ServiceAccount of app',
      async () => (await plane.get('/api/v1/namespaces/app/serviceaccounts/default')).status === 200,
      30_000,
    );
    await plane.apply(...clusterObjects().slice(2));
    const status = { status: { phase: 'Running', podIP: POD, podIPs: [{ ip: POD }] } };
    await plane.kubectl([
      'patch',
      'pod',
      'client',
      '-n',
      'app',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
  } catch (err) {
    await plane.stop();
    throw err;
  }
  return plane;
}

/** Walk the search path `args.lookups` times per kind of name against `port`: one row per kind. */
async function measure(label: string, port: number): Promise<string[][]> {
  const client = await PodClient.open(port);
  const rows: string[][] = [];
  try {
    await client.lookup('web0'); // the first question waits for the records to load
    for (const [kind, nameOf] of KINDS) {
      const ms: number[] = [];
      let questions = 0;
      let found = 0;
      for (let i = 0; i < args.lookups; i++) {
        const started = performance.now();
        const r = await client.lookup(nameOf(i));
        ms.push(performance.now() - started);
        questions += r.questions;
        if (r.found) found++;
      }
      const s = summarize(ms);
      rows.push([
        label,
        kind,
        fmt(questions / args.lookups, 2),
        `${found}/${args.lookups}`,
        fmt(s.p50, 3),
        fmt(s.p99, 3),
      ]);
    }
  } finally {
    client.close();
  }
  return rows;
}

async function main(): Promise<void> {
  requireTool('dnsmasq');
  const dir = mkdtempSync(join(tmpdir(), 'bench-searchpath-'));
  const etcd = await EtcdServer.start();
  const upstream = await startDnsmasq(
    dir,
    'example.org',
    Array.from({ length: 50 }, (_, i) => [`198.51.100.${i + 1}`, `www${i}.example.org`] as const),
  );
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    const ops = Array.from({ length: 50 }, (_, i) => [
      put(etcd, `web${i}.app.svc.${DOMAIN}.`, { host: `10.0.1.${i + 1}`, priority: 10, weight: 10, ttl: 30 }),
      put(etcd, `db${i}.other.svc.${DOMAIN}.`, { host: `10.0.2.${i + 1}`, priority: 10, weight: 10, ttl: 30 }),
    ]).flat();
    await Promise.all(ops);
    await put(etcd, `127-0-0-5.app.pod.${DOMAIN}.`, { host: POD, priority: 10, weight: 10, ttl: 30 });
    for (const autopath of [false, true]) {
      const port = await freeDnsPort();
      const skydns = new ManagedProcess('skydns', process.execPath, [
        join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'),
        `-machines=${etcd.endpoint}`,
        `-addr=127.0.0.1:${port}`,
        '-ns-rotate=false',
        `-domain=${DOMAIN}.`,
        `-nameservers=127.0.0.1:${upstream.port}`,
        ...(autopath ? ['-autopath'] : []),
      ]);
      try {
        await skydns.waitForOutput(/ready for queries/, 30_000);
        rows.push(...(await measure(autopath ? 'skydns -autopath' : 'skydns', port)));
      } finally {
        await stopAll(skydns);
      }
    }
    const plane = await startPlane(dir);
    if (typeof plane === 'string') notes.push(plane);
    else {
      try {
        // As kubeadm's Corefile (with the `cache 30` it has, and without: autopath answers are per pod).
        for (const cache of [false, true]) {
          let coredns: PeerServer | undefined;
          try {
            coredns = await startCoredns(dir, {
              name: `coredns-autopath${cache ? '-cache' : ''}`,
              backend: { plugin: 'kubernetes', kubeconfig: plane.kubeconfig },
              cache,
              autopath: true,
              forward: `127.0.0.1:${upstream.port}`,
              probeName: `db49.other.svc.${DOMAIN}`,
            });
            const port = coredns.port;
            // The pod index has synced once the pod's own search path is answered server-side.
            const probe = await PodClient.open(port);
            await waitFor(
              'CoreDNS autopath for the pod',
              async () => (await probe.ask(`db49.other.app.svc.${DOMAIN}`))?.answers === 2,
              60_000,
              100,
            ).finally(() => probe.close());
            rows.push(...(await measure(cache ? 'CoreDNS autopath, cache 30' : 'CoreDNS autopath', port)));
          } finally {
            await stopAll(coredns?.process);
          }
        }
      } finally {
        await plane.stop();
      }
    }
  } finally {
    await stopAll(upstream.process);
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    table(['server', 'name asked', 'questions per lookup', 'answered', 'lookup p50 (ms)', 'lookup p99 (ms)'], rows),
  );
  for (const note of notes) console.log(note);
}

await main();
