import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster, waitFor } from '@kube-dns-legacy/testkit';
import { Cluster } from './reliability-cluster.js';
import { Churn, Prober, rng } from './reliability-churn.js';
import { QTYPE, udpQuery } from './reliability-dns.js';

// Scale-out on etcd (issue 16): kube2sky and skydns on a 3-member etcd cluster over TLS, under query
// load and a churn of API changes. kill -9 the leader, then a follower; remove a member and add it back.
// No name that exists may ever get NXDOMAIN, SERVFAIL or a wrong address; etcd converges exactly; the
// time until writes flow again is measured.

const SEED = Number(process.env['RELIABILITY_SEED'] ?? 20261204);
let etcd: EtcdCluster;
let cluster: Cluster<EtcdCluster>;
let churn: Churn;
let prober: Prober;
const figures: Record<string, number> = {};

before(async () => {
  etcd = await EtcdCluster.start({ size: 3, tls: true });
  const certs = etcd.certificates;
  const client = certs?.leaves['client'];
  if (certs === undefined || client === undefined) throw new Error('no TLS files');
  cluster = await Cluster.start({
    etcd,
    kube2skyArgs: [`--etcd-cafile=${certs.ca}`, `--etcd-certfile=${client.cert}`, `--etcd-keyfile=${client.key}`],
    skydnsArgs: [`-ca-cert=${certs.ca}`, `-tls-pem=${client.cert}`, `-tls-key=${client.key}`],
  });
  const stable = new Map<string, string>([['kubernetes.default.svc.cluster.local.', '10.0.0.1']]);
  for (let i = 0; i < 4; i++) {
    assert.equal(
      await cluster.apiSend('POST', '/api/v1/namespaces/default/services', {
        metadata: { name: `stable-${i}` },
        spec: { ports: [{ name: 'http', port: 80 }] },
      }),
      201,
    );
    const svc = await cluster.apiGet<{ spec: { clusterIP: string } }>(
      `/api/v1/namespaces/default/services/stable-${i}`,
    );
    stable.set(`stable-${i}.default.svc.cluster.local.`, svc.spec.clusterIP);
  }
  await cluster.converge('the stable services in etcd');
  prober = new Prober(cluster.dnsPort, stable);
  prober.start();
  churn = new Churn(cluster, rng(SEED));
  churn.start();
});

after(async () => {
  await churn?.stop();
  await prober?.stop();
  await cluster?.close();
  console.log(`etcd cluster figures: ${JSON.stringify(figures)}`);
});

/** Let the churn run; fails if it makes no change in that time. */
async function churnFor(ms: number): Promise<void> {
  const before = churn.total;
  await new Promise((r) => setTimeout(r, ms));
  assert.ok(churn.total > before, 'the churn is making changes');
}

/** Milliseconds from now until a new Service created through the API answers in DNS (writes flow end to end). */
async function timeToWrite(name: string): Promise<number> {
  const start = Date.now();
  assert.equal(
    await cluster.apiSend('POST', '/api/v1/namespaces/default/services', {
      metadata: { name },
      spec: { ports: [{ name: 'http', port: 80 }] },
    }),
    201,
  );
  const ip = (await cluster.apiGet<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/default/services/${name}`)).spec
    .clusterIP;
  await waitFor(
    `${name} to answer`,
    async () =>
      (await udpQuery(cluster.dnsPort, `${name}.default.svc.cluster.local.`, QTYPE.A, 500)).answers[0]?.data === ip,
    60_000,
    50,
  );
  return Date.now() - start;
}

/** Stop the churn, check exact convergence and every answer, then resume it. */
async function checkConverged(what: string): Promise<void> {
  await churn.stop();
  try {
    await cluster.converge(`etcd equal to the API objects ${what}`);
    assert.ok((await cluster.checkAnswers()) > 5);
  } finally {
    churn.start();
  }
}

/** The prober saw only right answers (timeouts on this shared machine are counted, but must stay rare). */
function checkProber(what: string): void {
  assert.deepEqual(prober.bad, [], `no NXDOMAIN, SERVFAIL or wrong answer for an existing name ${what}`);
  assert.ok(prober.timeouts <= prober.ok / 100, `${prober.timeouts} of ${prober.ok} probes unanswered ${what}`);
}

test('kill -9 the etcd leader, then a follower: answers stay right, writes resume, etcd converges exactly', async () => {
  for (const role of ['leader', 'follower'] as const) {
    await churnFor(1_000);
    prober.reset();
    const leader = await etcd.leader();
    const victim = role === 'leader' ? leader : (leader + 1) % 3;
    await etcd.kill(victim);
    figures[`${role}KilledWriteMs`] = await timeToWrite(`after-${role}-kill`);
    await churnFor(1_500);
    checkProber(`with the ${role} down`);
    await etcd.resume(victim);
    await checkConverged(`after the ${role} came back`);
    checkProber(`after the ${role} came back`);
  }
});

test('remove a member and add it back empty: answers stay right and etcd converges exactly', async () => {
  await churnFor(1_000);
  prober.reset();
  const member = ((await etcd.leader()) + 2) % 3;
  await etcd.removeMember(member);
  await churnFor(1_500);
  const start = Date.now();
  await etcd.addMember(member);
  figures['memberAddedMs'] = Date.now() - start;
  await checkConverged('after the member was added back');
  // The re-added member holds every record: read through it alone.
  // A range limited to one key still reports the count of all; --consistency=s reads the member's own copy.
  const count = async (...endpoints: string[]): Promise<number | undefined> =>
    (
      JSON.parse(
        await etcd.etcdctl([
          '--endpoints',
          endpoints.join(','),
          'get',
          '--prefix',
          '/skydns/',
          '--limit=1',
          '--keys-only',
          '--consistency=s',
          '-w',
          'json',
        ]),
      ) as { count?: number }
    ).count;
  await waitFor(
    'the re-added member to hold every record',
    async () => (await count(etcd.endpoints[member] ?? '')) === (await count(...etcd.endpoints)),
    10_000,
    200,
  );
  checkProber('while a member was removed and added back');
  figures['writeAfterReAddMs'] = await timeToWrite('after-re-add');
});
