import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@kube-dns-legacy/testkit';
import { Harness, a, baseRecords, h, srv } from './kube2sky-harness.js';

let k: Harness;
before(async () => {
  k = await Harness.start(true);
  await k.startKube2sky();
});
after(async () => {
  await k?.close();
});

const ns = 'default';
const web = (label: string, port = 8080): string => srv(`${label}.web.default.svc.cluster.local.`, port);

test('ClusterIP, headless (EndpointSlices, with and without hostnames), ExternalName, port-less, pods: create, update, delete', async () => {
  const expected = baseRecords();
  await k.expectEtcd(expected, 'only default/kubernetes and dns-version at start');

  await k.core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: 'api' },
      spec: {
        clusterIP: '10.0.0.10',
        ports: [
          { name: 'http', protocol: 'TCP', port: 80 },
          { name: 'metrics', protocol: 'TCP', port: 9090 },
        ],
      },
    },
  });
  expected.set('/skydns/local/cluster/svc/default/api/21172049', a('10.0.0.10'));
  expected.set('/skydns/local/cluster/svc/default/api/_tcp/_http/21172049', srv('api.default.svc.cluster.local.', 80));
  expected.set(
    '/skydns/local/cluster/svc/default/api/_tcp/_metrics/21172049',
    srv('api.default.svc.cluster.local.', 9090),
  );
  expected.set('/skydns/arpa/in-addr/10/0/0/10', a('api.default.svc.cluster.local.'));
  await k.expectEtcd(expected, 'ClusterIP service');

  await k.core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: { clusterIP: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
    },
  });
  await k.discovery.createNamespacedEndpointSlice({
    namespace: ns,
    body: {
      metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.1.5'], hostname: 'web-0', conditions: { ready: true } },
        { addresses: ['10.244.2.7'], conditions: { ready: true } },
        { addresses: ['10.244.3.9'], conditions: { ready: false } },
      ],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    },
  });
  expected.set('/skydns/local/cluster/svc/default/web/web-0', a('10.244.1.5'));
  expected.set('/skydns/local/cluster/svc/default/web/c89ee3', a('10.244.2.7'));
  expected.set('/skydns/local/cluster/svc/default/web/_tcp/_http/web-0', web('web-0'));
  expected.set('/skydns/local/cluster/svc/default/web/_tcp/_http/c89ee3', web('c89ee3'));
  expected.set('/skydns/arpa/in-addr/10/244/1/5', a('web-0.web.default.svc.cluster.local.'));
  await k.expectEtcd(expected, 'headless service with ready endpoints');

  await k.core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } },
  });
  expected.set(`/skydns/local/cluster/svc/default/ext/${h('db.example.com')}`, a('db.example.com'));
  // The API server requires ports on a ClusterIP service (the port-less case is in the records tests):
  // an unnamed port gets no SRV; a headless service without ports gets its A records only.
  await k.core.createNamespacedService({
    namespace: 'kube-system',
    body: { metadata: { name: 'bare' }, spec: { clusterIP: '10.0.0.20', ports: [{ port: 80, protocol: 'TCP' }] } },
  });
  await k.core.createNamespacedService({
    namespace: 'kube-system',
    body: { metadata: { name: 'noports' }, spec: { clusterIP: 'None' } },
  });
  await k.discovery.createNamespacedEndpointSlice({
    namespace: 'kube-system',
    body: {
      metadata: { name: 'noports-1', labels: { 'kubernetes.io/service-name': 'noports' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.5.5'] }],
    },
  });
  expected.set(`/skydns/local/cluster/svc/kube-system/noports/${h('10.244.5.5')}`, a('10.244.5.5'));
  // IPv6 endpoints: AAAA data and an ip6.arpa PTR (nibbles read forwards in the key).
  await k.core.createNamespacedService({
    namespace: 'kube-system',
    body: { metadata: { name: 'v6' }, spec: { clusterIP: 'None' } },
  });
  await k.discovery.createNamespacedEndpointSlice({
    namespace: 'kube-system',
    body: {
      metadata: { name: 'v6-1', labels: { 'kubernetes.io/service-name': 'v6' } },
      addressType: 'IPv6',
      endpoints: [{ addresses: ['fd00::5'], hostname: 'six' }],
    },
  });
  expected.set('/skydns/local/cluster/svc/kube-system/v6/six', a('fd00::5'));
  expected.set(`/skydns/arpa/ip6/f/d/${'0/'.repeat(29)}5`, a('six.v6.kube-system.svc.cluster.local.'));
  expected.set(`/skydns/local/cluster/svc/kube-system/bare/${h('10.0.0.20')}`, a('10.0.0.20'));
  expected.set('/skydns/arpa/in-addr/10/0/0/20', a('bare.kube-system.svc.cluster.local.'));
  await k.expectEtcd(expected, 'ExternalName and port-less services');

  const pod = (name: string, ip: string): Parameters<typeof k.core.createNamespacedPod>[0] => ({
    namespace: ns,
    body: {
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox:1.28' }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    },
  });
  await k.core.createNamespacedPod(pod('p1', '10.244.1.5'));
  await k.core.createNamespacedPod(pod('p2', '10.244.1.6'));
  expected.set('/skydns/local/cluster/pod/default/10-244-1-5/9e51737e', a('10.244.1.5'));
  expected.set(`/skydns/local/cluster/pod/default/10-244-1-6/${h('10.244.1.6')}`, a('10.244.1.6'));
  await k.expectEtcd(expected, 'pods');

  // Updates: ports renamed, endpoints changed (web-0 loses readiness, a new one appears), a pod IP moves.
  const api = await k.core.readNamespacedService({ name: 'api', namespace: ns });
  api.spec!.ports = [{ name: 'web', protocol: 'TCP', port: 80 }];
  await k.core.replaceNamespacedService({ name: 'api', namespace: ns, body: api });
  expected.delete('/skydns/local/cluster/svc/default/api/_tcp/_http/21172049');
  expected.delete('/skydns/local/cluster/svc/default/api/_tcp/_metrics/21172049');
  expected.set('/skydns/local/cluster/svc/default/api/_tcp/_web/21172049', srv('api.default.svc.cluster.local.', 80));

  const slice = await k.discovery.readNamespacedEndpointSlice({ name: 'web-abc', namespace: ns });
  slice.endpoints = [
    { addresses: ['10.244.1.5'], hostname: 'web-0', conditions: { ready: false } },
    { addresses: ['10.244.2.7'], conditions: { ready: true } },
    { addresses: ['10.244.3.9'], hostname: 'web-2', conditions: { ready: true } },
  ];
  await k.discovery.replaceNamespacedEndpointSlice({ name: 'web-abc', namespace: ns, body: slice });
  expected.delete('/skydns/local/cluster/svc/default/web/web-0');
  expected.delete('/skydns/local/cluster/svc/default/web/_tcp/_http/web-0');
  expected.delete('/skydns/arpa/in-addr/10/244/1/5');
  expected.set('/skydns/local/cluster/svc/default/web/web-2', a('10.244.3.9'));
  expected.set('/skydns/local/cluster/svc/default/web/_tcp/_http/web-2', web('web-2'));
  expected.set('/skydns/arpa/in-addr/10/244/3/9', a('web-2.web.default.svc.cluster.local.'));

  const p2 = await k.core.readNamespacedPod({ name: 'p2', namespace: ns });
  p2.status = { phase: 'Running', podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }] };
  await k.core.replaceNamespacedPodStatus({ name: 'p2', namespace: ns, body: p2 });
  expected.delete(`/skydns/local/cluster/pod/default/10-244-1-6/${h('10.244.1.6')}`);
  expected.set(`/skydns/local/cluster/pod/default/10-244-1-7/${h('10.244.1.7')}`, a('10.244.1.7'));
  await k.expectEtcd(expected, 'after updates of ports, endpoints and a pod IP');

  // A change that alters no record writes nothing.
  const revision = await k.revision();
  const puts = await k.metric('kube2sky_etcd_keys_put_total');
  const updatesBefore = await k.metric('kube2sky_events_total', 'kind="services",type="update"');
  const again = await k.core.readNamespacedService({ name: 'api', namespace: ns });
  again.metadata!.labels = { touched: 'yes' };
  await k.core.replaceNamespacedService({ name: 'api', namespace: ns, body: again });
  await waitFor(
    'kube2sky to see the update',
    async () => (await k.metric('kube2sky_events_total', 'kind="services",type="update"')) > updatesBefore,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await k.revision(), revision, 'etcd revision unchanged by a no-op update');
  assert.equal(await k.metric('kube2sky_etcd_keys_put_total'), puts);

  // Deletes.
  await k.core.deleteNamespacedService({ name: 'web', namespace: ns });
  await k.core.deleteNamespacedService({ name: 'ext', namespace: ns });
  await k.core.deleteNamespacedPod({ name: 'p1', namespace: ns });
  for (const key of [...expected.keys()]) {
    if (
      key.includes('/svc/default/web/') ||
      key.includes('/svc/default/ext/') ||
      key.includes('/pod/default/10-244-1-5/') ||
      key === '/skydns/arpa/in-addr/10/244/3/9'
    )
      expected.delete(key);
  }
  await k.expectEtcd(expected, 'after deletes');
});

test('kubectl create -f of a Service manifest shows up in etcd', async () => {
  const { execFile } = await import('node:child_process');
  const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { requireTool } = await import('@kube-dns-legacy/testkit');
  requireTool('kubectl');
  const dir = await mkdtemp(join(tmpdir(), 'kube2sky-kubectl-'));
  try {
    const manifest = join(dir, 'svc.yaml');
    await writeFile(
      manifest,
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: kube-dns',
        '  namespace: kube-system',
        'spec:',
        '  clusterIP: 10.0.0.53',
        '  ports:',
        '  - name: dns',
        '    port: 53',
        '    protocol: UDP',
        '  - name: dns-tcp',
        '    port: 53',
        '    protocol: TCP',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve, reject) =>
      execFile('kubectl', ['--kubeconfig', k.api.kubeconfigPath, 'create', '-f', manifest], (err, _out, stderr) =>
        err ? reject(new Error(stderr)) : resolve(),
      ),
    );
    const label = h('10.0.0.53');
    const target = 'kube-dns.kube-system.svc.cluster.local.';
    const want = new Map([
      [`/skydns/local/cluster/svc/kube-system/kube-dns/${label}`, a('10.0.0.53')],
      [`/skydns/local/cluster/svc/kube-system/kube-dns/_udp/_dns/${label}`, srv(target, 53)],
      [`/skydns/local/cluster/svc/kube-system/kube-dns/_tcp/_dns-tcp/${label}`, srv(target, 53)],
      ['/skydns/arpa/in-addr/10/0/0/53', a(target)],
    ]);
    await waitFor(
      'the kubectl-created service in etcd',
      async () => {
        const dump = await k.etcd.dump('/skydns/');
        return [...want].every(([key, value]) => dump.get(key) === value);
      },
      15_000,
      50,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
