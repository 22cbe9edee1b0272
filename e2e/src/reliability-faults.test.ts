import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@kube-dns-legacy/testkit';
import { Cluster } from './reliability-cluster.js';
import { Churn, Prober, rng } from './reliability-churn.js';

// Faults during a churn of service creates, updates and deletes. After each fault the etcd contents
// must equal exactly the records the API objects call for (computed here with skymsg, independently
// of kube2sky) and every name must answer; names that exist keep answering through etcd outages.

const SEED = Number(process.env['RELIABILITY_SEED'] ?? 20261123);
let cluster: Cluster;
let churn: Churn;
let prober: Prober;

before(async () => {
  cluster = await Cluster.start();
  const stable = new Map<string, string>();
  for (let i = 0; i < 4; i++) {
    const status = await cluster.apiSend('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: `stable-${i}` },
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    assert.equal(status, 201);
    const svc = await cluster.apiGet<{ spec: { clusterIP: string } }>(
      `/api/v1/namespaces/default/services/stable-${i}`,
    );
    stable.set(`stable-${i}.default.svc.cluster.local.`, svc.spec.clusterIP);
  }
  stable.set('kubernetes.default.svc.cluster.local.', '10.0.0.1');
  await cluster.converge('the stable services in etcd');
  await cluster.checkAnswers();
  prober = new Prober(cluster.dnsPort, stable);
  prober.start();
  churn = new Churn(cluster, rng(SEED));
  churn.start();
});

after(async () => {
  await churn?.stop();
  await prober?.stop();
  await cluster?.close();
});

interface Health {
  status: number;
  checks: Record<string, boolean>;
}

async function kube2skyHealth(): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${cluster.healthzPort}/healthz`);
  const body = (await res.json()) as { checks?: Record<string, boolean> };
  return { status: res.status, checks: body.checks ?? {} };
}

/** Let the churn run a little so the fault lands in the middle of changes. */
async function churnFor(ms: number): Promise<void> {
  const before = churn.total;
  await new Promise((r) => setTimeout(r, ms));
  assert.ok(churn.total > before, 'the churn is making changes');
}

/** Stop the churn, check exact convergence and every answer, then resume the churn. */
async function checkConverged(what: string): Promise<void> {
  await churn.stop();
  try {
    await cluster.converge(`etcd equal to the API objects ${what}`);
    const names = await cluster.checkAnswers();
    assert.ok(names > 5, `${names} names checked`);
  } finally {
    churn.start();
  }
}

/** The etcd outage as seen from outside: kube2sky unhealthy and counting, alive; skydns answering from its last data. */
async function checkOutage(): Promise<void> {
  const pid = cluster.kube2sky?.child.pid;
  const errorsBefore = await Cluster.metric(cluster.healthzPort, 'kube2sky_errors_total', 'kind="etcd"');
  await waitFor(
    'kube2sky /healthz to show etcd down',
    async () => {
      const health = await kube2skyHealth();
      return health.status === 503 && health.checks['etcd'] === false;
    },
    20_000,
    100,
  );
  await waitFor(
    'kube2sky to count etcd errors',
    async () => (await Cluster.metric(cluster.healthzPort, 'kube2sky_errors_total', 'kind="etcd"')) > errorsBefore,
    20_000,
    100,
  );
  await waitFor(
    'skydns to notice etcd is down',
    async () => (await Cluster.metric(cluster.metricsPort, 'skydns_skydns_etcd_up')) === 0,
    20_000,
    100,
  );
  const answered = prober.ok;
  await churnFor(1_000);
  assert.ok(prober.ok > answered, 'skydns keeps answering while etcd is down');
  assert.deepEqual(prober.bad, [], 'no SERVFAIL, NXDOMAIN or wrong answer for an existing name during the outage');
  assert.equal(prober.timeouts, 0, 'no unanswered query during the outage');
  assert.ok(cluster.kube2sky?.alive, 'kube2sky keeps running');
  assert.equal(cluster.kube2sky?.child.pid, pid, 'kube2sky was not restarted');
}

test('kill -9 etcd and restart it on the same data dir', async () => {
  await churnFor(1_500);
  prober.reset();
  await cluster.etcd.kill();
  await checkOutage();
  await cluster.etcd.resume();
  await checkConverged('after etcd came back with its data');
  await waitFor('kube2sky /healthz 200 again', async () => (await kube2skyHealth()).status === 200, 20_000, 100);
  assert.deepEqual(prober.bad, []);
});

test('kill -9 etcd and restart it empty (the emptyDir was lost)', async () => {
  await churnFor(1_500);
  prober.reset();
  await cluster.etcd.kill();
  await checkOutage();
  const answeredBefore = prober.ok;
  await cluster.etcd.resume({ empty: true });
  const back = Date.now();
  await checkConverged('after etcd came back empty');
  // skydns keeps serving its last good data while kube2sky refills the empty etcd, and switches to
  // the refilled data once the refill has been quiet for a second (at most 30 s).
  const switched =
    /"heldMs":(\d+),[^\n]*"message":"switched to the refilled etcd data"|"message":"switched to the refilled etcd data"[^\n]*"heldMs":(\d+)/;
  await waitFor(
    'skydns to switch to the refilled data',
    () => switched.test(cluster.skydns?.output ?? ''),
    40_000,
    100,
  );
  const match = switched.exec(cluster.skydns?.output ?? '');
  console.log(
    `etcd restarted empty: ${prober.bad.length} NXDOMAIN, SERVFAIL or wrong answers for existing names and ${prober.ok - answeredBefore} right ones in the ${Date.now() - back} ms after etcd came back; skydns held its last good data for ${match?.[1] ?? match?.[2]} ms while kube2sky refilled etcd`,
  );
  assert.deepEqual(
    prober.bad,
    [],
    'no NXDOMAIN, SERVFAIL or wrong answer for an existing name while etcd was refilled',
  );
  assert.equal(prober.timeouts, 0, 'no unanswered query');
  assert.equal(
    await Cluster.metric(cluster.metricsPort, 'skydns_skydns_store_holds_total', 'reason="quiet"'),
    1,
    'the hold is counted, ended by a quiet refill',
  );
});

test('kill -9 kube2sky in the middle of a burst of changes', async () => {
  await churnFor(500);
  const burst = Array.from({ length: 30 }, (_, i) =>
    cluster.apiSend('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: `burst-${i}` },
      spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    }),
  );
  await Promise.all(burst);
  await new Promise((r) => setTimeout(r, 30));
  await cluster.killKube2sky();
  for (let i = 0; i < 30; i += 3) await cluster.apiSend('DELETE', `/api/v1/namespaces/default/services/burst-${i}`);
  await churnFor(1_000);
  prober.reset();
  await cluster.startKube2sky();
  await checkConverged('after kube2sky was killed mid-sync and restarted');
  assert.deepEqual(prober.bad, []);
});

test('the API server drops every watch, answers 410 Gone, then 500s for a while', async () => {
  const restarts = await Cluster.metric(cluster.healthzPort, 'kube2sky_watch_restarts_total');
  cluster.api.faults.dropWatches();
  await churnFor(1_000);
  cluster.api.faults.goneOnWatch(true);
  cluster.api.faults.dropWatches();
  await churnFor(1_000);
  cluster.api.faults.goneOnWatch(false);
  cluster.api.faults.failWith(500);
  cluster.api.faults.dropWatches();
  await waitFor(
    'kube2sky /healthz to show the failing watches',
    async () => {
      const health = await kube2skyHealth();
      return health.status === 503 && Object.values(health.checks).includes(false);
    },
    20_000,
    100,
  );
  await new Promise((r) => setTimeout(r, 2_000));
  assert.ok(cluster.kube2sky?.alive, 'kube2sky keeps running through the 500s');
  cluster.api.faults.failWith(undefined);
  await churnFor(1_000);
  await checkConverged('after the API server recovered');
  assert.ok(
    (await Cluster.metric(cluster.healthzPort, 'kube2sky_watch_restarts_total')) > restarts,
    'watch restarts counted',
  );
  await waitFor('kube2sky /healthz 200 again', async () => (await kube2skyHealth()).status === 200, 30_000, 100);
  assert.deepEqual(prober.bad, []);
});

test('skydns killed and restarted', async () => {
  await churnFor(500);
  prober.reset();
  await cluster.killSkydns();
  await churnFor(1_000);
  await cluster.startSkydns();
  await checkConverged('after skydns restarted');
  await waitFor('the prober to get answers from the new skydns', () => prober.ok > 0, 10_000);
  // A restarting skydns answers SERVFAIL until its first load (documented); never NXDOMAIN or a wrong address.
  assert.deepEqual(
    prober.bad.filter((b) => !/: SERVFAIL $/.test(b)),
    [],
  );
  console.log(
    `churn: ${JSON.stringify(churn.counts)}; prober: ${prober.ok} answers, ${prober.timeouts} timeouts, ${prober.bad.length} SERVFAIL in the last window`,
  );
});
