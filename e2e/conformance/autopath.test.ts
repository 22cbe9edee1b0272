import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CoreDns, type ControlPlane } from '@kube-dns-legacy/control-plane';
import { ManagedProcess, freeDnsPort, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot } from '../src/pod.js';
import { QTYPE, udpQuery } from '../src/reliability-dns.js';
import type { Question } from './corpus.js';
import { assertEveryDifferenceIntended } from './differential.js';
import { COREDNS_AUTOPATH } from './intended.js';
import { createTestObjects, NS, pod, podStatus } from './objects.js';
import { DnsPod, startControlPlane } from './pod.js';

// The pod search path answered server-side: skydns -autopath beside CoreDNS `autopath @kubernetes`
// (kubernetes plugin with `pods verified`, forward to the same upstream), on the same objects of a
// real control plane. Pods get loopback addresses so that a question can come from a pod's address;
// each asks the first candidate of its search path (`<name>.<ns>.svc.cluster.local`), as glibc does.
// Every difference is explained by an intended difference (intended.ts, docs/conformance.md).

/** A second namespace, with a pod and a Service of its own. */
const OTHER = 'other';
/** Client pods: one per namespace, and two pods (one per namespace) sharing one address. */
const CLIENTS = [
  { name: 'client-a', namespace: NS, ip: '127.0.0.10' },
  { name: 'client-b', namespace: OTHER, ip: '127.0.0.11' },
  { name: 'shared-a', namespace: NS, ip: '127.0.0.12' },
  { name: 'shared-b', namespace: OTHER, ip: '127.0.0.12' },
] as const;
const SHARED = '127.0.0.12';
/** Where the questions come from: a pod of each namespace, the shared address, and an address no pod has. */
const SOURCES: ReadonlyArray<{ from: string; namespace: string | undefined; label: string }> = [
  { from: '127.0.0.10', namespace: NS, label: 'pod' },
  { from: '127.0.0.11', namespace: OTHER, label: 'pod' },
  { from: SHARED, namespace: undefined, label: 'shared address' },
  { from: '127.0.0.1', namespace: undefined, label: 'no pod' },
];
/** What a pod looks up (the name before its search path), with the kind of name it finds (corpus.ts's kinds). */
const BASES: ReadonlyArray<readonly [string, string]> = [
  ['web', 'service'],
  ['db', 'service'],
  ['web.conf', 'service'],
  ['db.other', 'service'],
  ['kubernetes.default', 'service'],
  ['kubernetes.default.svc', 'service'],
  ['web-headless', 'headless service'],
  ['web-0.web-headless', 'endpoint with hostname'],
  ['ext', 'ExternalName'],
  ['_http._tcp.web', 'SRV named port'],
  ['10-244-1-5.conf.pod', 'pod'],
  ['www.example.org', 'outside the cluster'],
  ['nothere', 'outside the cluster'],
];
const TYPES = ['A', 'AAAA', 'SRV', 'TXT'] as const;

/** Every base under the search domain of conf, other and a namespace without pods, from every source. */
function searchPathCorpus(): Question[] {
  const out: Question[] = [];
  for (const source of SOURCES)
    for (const searchNs of [NS, OTHER, 'third'])
      for (const [base, kind] of BASES)
        for (const type of TYPES) {
          const whose =
            source.namespace === undefined
              ? source.label
              : source.namespace === searchNs
                ? 'own search domain'
                : "another namespace's search domain";
          out.push({
            name: `${base}.${searchNs}.svc.cluster.local.`,
            type,
            kind: `${kind} ${base} (${whose})`,
            from: source.from,
          });
        }
  return out;
}

let plane: ControlPlane;
let dnsPod: DnsPod;
let skydns: ManagedProcess;
let skydnsPort: number;
let coredns: CoreDns;

before(async () => {
  plane = await startControlPlane();
  dnsPod = await DnsPod.start(plane);
  await createTestObjects(plane);
  await plane.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER } });
  await plane.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: OTHER },
    spec: { ports: [{ name: 'db', port: 5432 }] },
  });
  for (const c of CLIENTS) {
    const object = pod(c.name, { app: 'client' }) as { metadata: { namespace: string } };
    object.metadata.namespace = c.namespace;
    await plane.apply(object);
    await plane.kubectl([
      'patch',
      'pod',
      c.name,
      '-n',
      c.namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(podStatus([c.ip], true)),
    ]);
  }
  // The pod's skydns again, with -autopath, on the same etcd and upstream.
  skydnsPort = await freeDnsPort();
  skydns = new ManagedProcess('skydns', process.execPath, [
    join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'),
    `-machines=${dnsPod.etcd.endpoint}`,
    `-addr=127.0.0.1:${skydnsPort}`,
    '-ns-rotate=false',
    '-domain=cluster.local.',
    `-nameservers=127.0.0.1:${dnsPod.skydns.upstream.port}`,
    '-autopath',
  ]);
  await skydns.waitForOutput(/ready for queries/, 30_000);
  coredns = await CoreDns.start(
    ['.'],
    [
      'kubernetes cluster.local in-addr.arpa ip6.arpa {',
      `  kubeconfig ${plane.kubeconfig} kube-dns-legacy`,
      '  pods verified',
      '  ttl 30',
      '  fallthrough in-addr.arpa ip6.arpa',
      '}',
      'autopath @kubernetes',
      `forward . 127.0.0.1:${dnsPod.skydns.upstream.port}`,
    ].join('\n'),
  );
  // Both have every object: the last client pod and the other namespace's Service answer in each.
  const ready = async (port: number): Promise<boolean> =>
    (await udpQuery(port, 'db.other.svc.cluster.local.', QTYPE.A, 500)).answers.length > 0 &&
    (await udpQuery(port, '127-0-0-12.other.pod.cluster.local.', QTYPE.A, 500)).answers.length > 0 &&
    (await udpQuery(port, 'kubernetes.default.conf.svc.cluster.local.', QTYPE.A, 500, undefined, '127.0.0.10')).answers
      .length > 0;
  await waitFor(
    'skydns and CoreDNS to know every object',
    async () => (await ready(skydnsPort)) && (await ready(coredns.port)),
    60_000,
    200,
  );
});

after(async () => {
  await coredns?.stop();
  await skydns?.stop();
  await dnsPod?.stop();
  await plane?.stop();
});

test('a pod gets the rest of its search path in one answer from both: a CNAME to the name found', async () => {
  const from = '127.0.0.10';
  for (const port of [skydnsPort, coredns.port]) {
    const reply = await udpQuery(port, 'db.other.conf.svc.cluster.local.', QTYPE.A, 2_000, undefined, from);
    assert.equal(reply.rcode, 'NOERROR');
    assert.deepEqual(
      reply.answers.map(
        (r) => `${r.name} ${r.type === QTYPE.CNAME ? 'CNAME' : 'A'} ${r.type === QTYPE.CNAME ? r.data : ''}`,
      ),
      ['db.other.conf.svc.cluster.local. CNAME db.other.svc.cluster.local.', 'db.other.svc.cluster.local. A '],
      `port ${port}`,
    );
    // The same question from an address no pod has is the plain NXDOMAIN.
    assert.equal((await udpQuery(port, 'db.other.conf.svc.cluster.local.', QTYPE.A, 2_000)).rcode, 'NXDOMAIN');
  }
});

test('an address two pods share: skydns does not guess, and neither server autopaths for a third namespace', async () => {
  const name = 'kubernetes.default.conf.svc.cluster.local.';
  assert.equal((await udpQuery(skydnsPort, name, QTYPE.A, 2_000, undefined, SHARED)).rcode, 'NXDOMAIN');
  for (const port of [skydnsPort, coredns.port])
    assert.equal(
      (await udpQuery(port, 'kubernetes.default.third.svc.cluster.local.', QTYPE.A, 2_000, undefined, SHARED)).rcode,
      'NXDOMAIN',
    );
});

test('CoreDNS autopath and skydns -autopath: every difference on the search path is intended', async () => {
  await assertEveryDifferenceIntended({
    label: 'CoreDNS autopath',
    ours: skydnsPort,
    theirs: coredns.port,
    corpus: searchPathCorpus(),
    intended: COREDNS_AUTOPATH,
    minAsked: 1_000,
    limit: 200,
  });
});
