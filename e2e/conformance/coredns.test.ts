import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreDns, type ControlPlane } from '@kube-dns-legacy/control-plane';
import { waitFor } from '@kube-dns-legacy/testkit';
import { QTYPE, udpQuery } from '../src/reliability-dns.js';
import { buildCorpus, type Question } from './corpus.js';
import { assertEveryDifferenceIntended } from './differential.js';
import { COREDNS_ETCD, COREDNS_KUBERNETES } from './intended.js';
import { createTestObjects, expectedRecords } from './objects.js';
import { DnsPod, startControlPlane } from './pod.js';

// The same cluster objects answered by CoreDNS (kubernetes plugin, what clusters run today, and etcd
// plugin, the reader users would swap in for skydns) and by our kube2sky + etcd + skydns. Every
// difference is explained by an intended difference (e2e/conformance/intended.ts, docs/conformance.md)
// or the test fails.

let plane: ControlPlane;
let pod: DnsPod;
let kubernetes: CoreDns;
let etcdPlugin: CoreDns;
let corpus: Question[];

before(async () => {
  plane = await startControlPlane();
  pod = await DnsPod.start(plane);
  const clusterIps = await createTestObjects(plane);
  const want = expectedRecords(clusterIps);
  await waitFor('kube2sky to write every record', async () => (await pod.records()).size === want.size, 60_000);
  const zones = ['cluster.local', 'in-addr.arpa', 'ip6.arpa'];
  kubernetes = await CoreDns.start(
    zones,
    [
      `kubernetes ${zones.join(' ')} {`,
      `  kubeconfig ${plane.kubeconfig} kube-dns-legacy`,
      '  pods verified',
      '  ttl 30',
      '}',
    ].join('\n'),
  );
  etcdPlugin = await CoreDns.start(
    zones,
    [`etcd ${zones.join(' ')} {`, `  endpoint ${pod.etcd.endpoint}`, '  path /skydns', '}'].join('\n'),
  );
  corpus = buildCorpus(clusterIps);
  // CoreDNS's kubernetes plugin answers once its informers have synced.
  await waitFor(
    'CoreDNS to answer kubernetes.default',
    async () =>
      (await udpQuery(kubernetes.port, 'kubernetes.default.svc.cluster.local.', QTYPE.A, 500)).answers.length > 0,
    60_000,
    200,
  );
});

after(async () => {
  await kubernetes?.stop();
  await etcdPlugin?.stop();
  await pod?.stop();
  await plane?.stop();
});

test('the corpus is big enough and covers every kind of question', () => {
  assert.ok(corpus.length >= 1_000, `${corpus.length} questions (each asked over UDP and TCP)`);
  for (const type of ['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT', 'NS', 'SOA'])
    assert.ok(
      corpus.some((q) => q.type === type),
      type,
    );
});

test('CoreDNS kubernetes plugin and skydns: every difference is intended', async () => {
  await assertEveryDifferenceIntended({
    label: 'CoreDNS kubernetes plugin',
    ours: pod.skydns.port,
    theirs: kubernetes.port,
    corpus,
    intended: COREDNS_KUBERNETES,
    minAsked: 2_000,
  });
});

test('CoreDNS etcd plugin on our etcd and skydns: every difference is intended', async () => {
  await assertEveryDifferenceIntended({
    label: 'CoreDNS etcd plugin',
    ours: pod.skydns.port,
    theirs: etcdPlugin.port,
    corpus,
    intended: COREDNS_ETCD,
    minAsked: 2_000,
  });
});
