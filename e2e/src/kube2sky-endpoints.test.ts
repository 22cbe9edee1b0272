import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@kube-dns-legacy/testkit';
import { Harness, a, baseRecords, srv } from './kube2sky-harness.js';

let k: Harness;
before(async () => {
  k = await Harness.start(false);
  await k.startKube2sky('-domain=cluster.local', '--pod-records=disabled', '--etcd_mutation_timeout=5s');
});
after(async () => {
  await k?.close();
});

const ANNOTATION = 'endpoints.beta.kubernetes.io/hostnames-map';

test('core/v1 Endpoints when EndpointSlices are not served: hostname field, hostnames-map annotation, hash labels; no pod watch', async () => {
  assert.match(k.kube2sky?.output ?? '', /watching core\/v1 Endpoints/);
  assert.match(k.kube2sky?.output ?? '', /--etcd_mutation_timeout is deprecated, use --etcd-mutation-timeout/);
  const expected = baseRecords();
  await k.core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] },
    },
  });
  await k.core.createNamespacedEndpoints({
    namespace: 'default',
    body: {
      metadata: { name: 'db', annotations: { [ANNOTATION]: '{"10.244.1.5":{"HostName":"db-0"}}' } },
      subsets: [
        {
          addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.1.6', hostname: 'db-1' }, { ip: '10.244.2.7' }],
          notReadyAddresses: [{ ip: '10.244.9.9' }],
          ports: [{ name: 'pg', protocol: 'TCP', port: 15432 }],
        },
      ],
    },
  });
  await k.core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { podIP: '10.244.1.5' },
    },
  });
  const target = (label: string): string => `${label}.db.default.svc.cluster.local.`;
  for (const [label, ip] of [
    ['db-0', '10.244.1.5'],
    ['db-1', '10.244.1.6'],
    ['c89ee3', '10.244.2.7'],
  ] as const) {
    expected.set(`/skydns/local/cluster/svc/default/db/${label}`, a(ip));
    expected.set(`/skydns/local/cluster/svc/default/db/_tcp/_pg/${label}`, srv(target(label), 15432));
    if (label !== 'c89ee3') expected.set(`/skydns/arpa/in-addr/${ip.split('.').join('/')}`, a(target(label)));
  }
  await k.expectEtcd(expected, 'headless service from Endpoints, no pod records');

  // A malformed annotation: warning, counter, hash labels; the process carries on.
  const ep = await k.core.readNamespacedEndpoints({ name: 'db', namespace: 'default' });
  ep.metadata!.annotations = { [ANNOTATION]: '{broken' };
  await k.core.replaceNamespacedEndpoints({ name: 'db', namespace: 'default', body: ep });
  for (const key of [...expected.keys()])
    if (key.includes('/db/db-0') || key.endsWith('/_pg/db-0') || key === '/skydns/arpa/in-addr/10/244/1/5')
      expected.delete(key);
  expected.set('/skydns/local/cluster/svc/default/db/9e51737e', a('10.244.1.5'));
  expected.set('/skydns/local/cluster/svc/default/db/_tcp/_pg/9e51737e', srv(target('9e51737e'), 15432));
  await k.expectEtcd(expected, 'malformed annotation falls back to the hash label');
  await waitFor(
    'the object error to be counted',
    async () => (await k.metric('kube2sky_errors_total', 'kind="object"')) > 0,
  );
  assert.match(k.kube2sky?.output ?? '', /hostnames-map is not valid JSON/);

  // Endpoints deleted: a headless service without endpoints has no records.
  await k.core.deleteNamespacedEndpoints({ name: 'db', namespace: 'default' });
  await k.expectEtcd(baseRecords(), 'endpoints deleted');
  assert.ok(k.kube2sky?.alive);
});
