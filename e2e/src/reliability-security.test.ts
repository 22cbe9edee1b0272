import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot } from './pod.js';
import { Cluster } from './reliability-cluster.js';
import { QTYPE, udpQuery } from './reliability-dns.js';

// What the pod exposes besides DNS: the health and metrics ports of kube2sky, skydns and exechealthz
// answer reads only (no method or path changes anything or stops anything), and skydns forwards
// only names outside its domain.

let cluster: Cluster;
let healthz: ManagedProcess;
let healthzPort = 0;

before(async () => {
  cluster = await Cluster.start();
  healthzPort = await freePort();
  healthz = new ManagedProcess('exechealthz', 'node', [
    join(repoRoot, 'packages', 'exechealthz', 'dist', 'main.js'),
    '--cmd=true',
    `--port=${healthzPort}`,
    '--period=200ms',
  ]);
  await waitFor(
    'exechealthz /healthz 200',
    async () => (await fetch(`http://127.0.0.1:${healthzPort}/healthz`)).status === 200,
    30_000,
    100,
  );
});

after(async () => {
  await healthz?.stop();
  await cluster?.close();
});

test('health and metrics ports: writes and unknown paths change nothing and stop nothing', async () => {
  const ports = { kube2sky: cluster.healthzPort, skydns: cluster.metricsPort, exechealthz: healthzPort };
  const etcdBefore = await cluster.etcd.dump('/skydns/');
  const putsBefore = await Cluster.metric(cluster.healthzPort, 'kube2sky_etcd_keys_put_total');
  const paths = [
    '/healthz',
    '/readiness',
    '/metrics',
    '/quit',
    '/debug/pprof/',
    '/flush',
    '/reset',
    '/config',
    '/',
    '/../../etc/passwd',
  ];
  const answers: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of paths) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          body: '{"level":"debug","records":[]}',
          headers: { 'content-type': 'application/json' },
        });
        const body = await res.text();
        if (path === '/quit' && res.status < 300) answers.push(`${name} ${method} ${path}: ${res.status}`);
        if (body.includes('root:x:0:0')) answers.push(`${name} ${method} ${path}: served a file`);
      }
    }
  }
  assert.deepEqual(answers, [], 'no quit endpoint, no files served');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(cluster.kube2sky?.alive && cluster.skydns?.alive && healthz.alive, 'every process still runs');
  assert.deepEqual(await cluster.etcd.dump('/skydns/'), etcdBefore, 'etcd unchanged');
  assert.equal(
    await Cluster.metric(cluster.healthzPort, 'kube2sky_etcd_keys_put_total'),
    putsBefore,
    'kube2sky wrote nothing',
  );
  assert.equal((await fetch(`http://127.0.0.1:${cluster.healthzPort}/readiness`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${healthzPort}/healthz`)).status, 200);
  assert.deepEqual(
    (await udpQuery(cluster.dnsPort, 'kubernetes.default.svc.cluster.local.')).answers.map((a) => a.data),
    ['10.0.0.1'],
  );
});

test('skydns forwards only names outside its domain', async () => {
  const before = cluster.upstreamQueries;
  for (const name of [
    'nope.default.svc.cluster.local.',
    'nope.cluster.local.',
    'a.b.c.svc.cluster.local.',
    'CLUSTER.LOCAL.',
  ]) {
    const reply = await udpQuery(cluster.dnsPort, name, QTYPE.A);
    assert.ok(['NXDOMAIN', 'NOERROR'].includes(reply.rcode), `${name}: ${reply.rcode}`);
  }
  assert.equal(cluster.upstreamQueries, before, 'no question inside cluster.local. went upstream');
  const outside = await udpQuery(cluster.dnsPort, 'www.example.com.', QTYPE.A);
  assert.deepEqual(
    outside.answers.map((a) => a.data),
    ['192.0.2.1'],
  );
  assert.equal(cluster.upstreamQueries, before + 1, 'a name outside the domain is forwarded once');
});
