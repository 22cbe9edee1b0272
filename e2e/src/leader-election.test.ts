import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot } from './pod.js';
import { Cluster } from './reliability-cluster.js';

// Several kube2sky replicas on one etcd with --leader-elect (issue 16): one writes, the others keep
// their caches warm; kill -9 of the leader hands over within the lease duration, and the new leader
// writes only what changed meanwhile.

const KUBE2SKY = join(repoRoot, 'packages', 'kube2sky', 'dist', 'main.js');
const TIMING = [
  '--leader-elect-lease-duration=3s',
  '--leader-elect-renew-deadline=2s',
  '--leader-elect-retry-period=500ms',
];

interface Replica {
  readonly name: string;
  readonly process: ManagedProcess;
  readonly port: number;
}

let api: SandboxApiServer;
let etcd: EtcdServer;
const replicas: Replica[] = [];

async function start(name: string): Promise<Replica> {
  const port = await freePort();
  const proc = new ManagedProcess(name, process.execPath, [
    KUBE2SKY,
    `--etcd-server=${etcd.endpoint}`,
    `--kubecfg-file=${api.kubeconfigPath}`,
    `--healthz-port=${port}`,
    '--leader-elect',
    ...TIMING,
  ]);
  const replica = { name, process: proc, port };
  replicas.push(replica);
  return replica;
}

const metric = (r: Replica, name: string, labels = ''): Promise<number> => Cluster.metric(r.port, name, labels);
const leads = async (r: Replica): Promise<boolean> =>
  r.process.alive && (await metric(r, 'kube2sky_leader').catch(() => 0)) === 1;
const ready = async (r: Replica): Promise<boolean> =>
  (await fetch(`http://127.0.0.1:${r.port}/readiness`).catch(() => undefined))?.status === 200;

async function createService(name: string): Promise<void> {
  const res = await fetch(`${api.url}/api/v1/namespaces/default/services`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } }),
  });
  assert.equal(res.status, 201);
}

before(async () => {
  api = await SandboxApiServer.start({ port: 0 });
  etcd = await EtcdServer.start();
});

after(async () => {
  for (const r of replicas) await r.process.stop('SIGKILL');
  await etcd?.stop();
  await api?.stop();
});

test('one replica leads and writes; the others are ready, follow and write nothing', async () => {
  const [a, b, c] = [await start('kube2sky-a'), await start('kube2sky-b'), await start('kube2sky-c')];
  await waitFor(
    'every replica ready',
    async () => (await Promise.all([a, b, c].map(ready))).every(Boolean),
    60_000,
    200,
  );
  const leaders = await Promise.all([a, b, c].map(leads));
  assert.equal(leaders.filter(Boolean).length, 1, 'exactly one leader');
  const leader = [a, b, c][leaders.indexOf(true)] as Replica;
  const lease = (await (
    await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube2sky`)
  ).json()) as { spec: { holderIdentity: string } };
  const identity = /kube2sky_leader\{identity="([^"]+)"\} 1/.exec(
    await (await fetch(`http://127.0.0.1:${leader.port}/metrics`)).text(),
  )?.[1];
  assert.match(identity ?? '', /^.+_[0-9a-f]{8}$/, 'the identity is hostname_random');
  assert.equal(lease.spec.holderIdentity, identity, 'the Lease names the leader');
  await createService('web');
  await waitFor(
    'web in etcd',
    async () => (await etcd.dump('/skydns/local/cluster/svc/default/web/')).size === 2,
    10_000,
  );
  for (const r of [a, b, c].filter((x) => x !== leader)) {
    assert.equal(await metric(r, 'kube2sky_etcd_keys_put_total'), 0, `${r.name} wrote nothing`);
    assert.equal(await metric(r, 'kube2sky_etcd_keys_deleted_total'), 0, `${r.name} deleted nothing`);
    assert.match(
      await (await fetch(`http://127.0.0.1:${r.port}/readiness`)).text(),
      /follower/,
      `${r.name} says it follows`,
    );
  }
  assert.match(await (await fetch(`http://127.0.0.1:${leader.port}/readiness`)).text(), /leader/);
});

test('kill -9 of the leader: another takes over within the lease duration and writes only what changed', async () => {
  const current = await Promise.all(replicas.map(leads));
  const old = replicas[current.indexOf(true)];
  assert.ok(old !== undefined, 'a leader to kill');
  await old.process.stop('SIGKILL');
  const killed = Date.now();
  await createService('during-handover');
  const next = await waitFor(
    'a new leader',
    async () => {
      for (const r of replicas) if (r !== old && (await leads(r))) return r;
      return undefined;
    },
    10_000,
    100,
  );
  const tookOver = Date.now() - killed;
  await waitFor(
    'the change made during the handover in etcd',
    async () => (await etcd.dump('/skydns/local/cluster/svc/default/during-handover/')).size === 2,
    10_000,
    100,
  );
  const written = Date.now() - killed;
  console.log(
    `leader killed: ${next.name} led after ${tookOver} ms, the change made meanwhile was in etcd after ${written} ms`,
  );
  // Lease 3 s, observed on the follower's clock, plus a retry period and its jitter.
  assert.ok(tookOver < 3_000 + 1_500, `took over after ${tookOver} ms`);
  assert.equal(
    await metric(next, 'kube2sky_etcd_keys_put_total'),
    3,
    "the new leader wrote the new service's three records (A, SRV, PTR) and nothing that was already right",
  );
  assert.equal(await metric(next, 'kube2sky_etcd_keys_deleted_total'), 0);
});
