import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import { waitFor } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

function clients(api: SandboxApiServer): { kc: KubeConfig; core: CoreV1Api; discovery: DiscoveryV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  return { kc, core: kc.makeApiClient(CoreV1Api), discovery: kc.makeApiClient(DiscoveryV1Api) };
}

function service(name: string, extra: Partial<V1Service['spec']> = {}): V1Service {
  return { metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }], ...extra } };
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe('with @kubernetes/client-node 1.4.0', () => {
  let api: SandboxApiServer;
  let core: CoreV1Api;
  let discovery: DiscoveryV1Api;
  let kc: KubeConfig;

  before(async () => {
    api = await SandboxApiServer.start();
    ({ kc, core, discovery } = clients(api));
  });
  after(async () => {
    await api.stop();
  });

  it('starts with the namespaces and default/kubernetes on the first address of the CIDR', async () => {
    const namespaces = await core.listNamespace();
    assert.deepEqual(
      namespaces.items.map((n) => n.metadata?.name),
      ['default', 'kube-public', 'kube-system'],
    );
    const kubernetes = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    assert.equal(kubernetes.spec?.clusterIP, '10.0.0.1');
    assert.deepEqual(
      kubernetes.spec?.ports?.map((p) => ({ ...p })),
      [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    );
    const endpoints = await core.readNamespacedEndpoints({ name: 'kubernetes', namespace: 'default' });
    assert.equal(endpoints.subsets?.[0]?.ports?.[0]?.port, 6443);
    const slice = await discovery.readNamespacedEndpointSlice({ name: 'kubernetes', namespace: 'default' });
    assert.equal(slice.addressType, 'IPv4');
  });

  it('creates services with defaults, allocates ClusterIPs in order and refuses taken or foreign ones', async () => {
    const created = await core.createNamespacedService({ namespace: 'default', body: service('alpha') });
    assert.equal(created.spec?.clusterIP, '10.0.0.2');
    assert.deepEqual(created.spec?.clusterIPs, ['10.0.0.2']);
    assert.equal(created.spec?.type, 'ClusterIP');
    assert.equal(created.spec?.ports?.[0]?.protocol, 'TCP');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(created.metadata?.creationTimestamp instanceof Date);
    assert.match(created.metadata?.resourceVersion ?? '', /^[0-9]+$/);

    const dns = await core.createNamespacedService({
      namespace: 'kube-system',
      body: service('kube-dns', { clusterIP: '10.0.0.10' }),
    });
    assert.equal(dns.spec?.clusterIP, '10.0.0.10');
    const headless = await core.createNamespacedService({
      namespace: 'default',
      body: service('web', { clusterIP: 'None' }),
    });
    assert.equal(headless.spec?.clusterIP, 'None');

    await assert.rejects(
      core.createNamespacedService({ namespace: 'default', body: service('taken', { clusterIP: '10.0.0.10' }) }),
      (err: { code?: number; body?: string }) => {
        assert.equal(err.code, 422);
        assert.match(String(err.body), /provided IP is already allocated/);
        return true;
      },
    );
    assert.equal(
      await statusOf(
        core.createNamespacedService({ namespace: 'default', body: service('far', { clusterIP: '10.9.0.1' }) }),
      ),
      422,
    );
    assert.equal(await statusOf(core.createNamespacedService({ namespace: 'default', body: service('alpha') })), 409);
    assert.equal(
      await statusOf(core.createNamespacedService({ namespace: 'default', body: service('Bad_Name') })),
      422,
    );
    assert.equal(await statusOf(core.createNamespacedService({ namespace: 'nowhere', body: service('x') })), 404);
    const generated = await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { generateName: 'gen-' }, spec: { ports: [{ port: 1 }] } },
    });
    assert.match(generated.metadata?.name ?? '', /^gen-[a-z0-9]{5}$/);
    assert.equal(generated.spec?.clusterIP, '10.0.0.3');
    await core.deleteNamespacedService({ name: generated.metadata?.name ?? '', namespace: 'default' });
    const reused = await core.createNamespacedService({ namespace: 'default', body: service('beta') });
    assert.equal(reused.spec?.clusterIP, '10.0.0.3', 'a deleted service gives its address back');
  });

  it('lists cluster-wide and per namespace with selectors and a list resourceVersion', async () => {
    await core.createNamespacedService({
      namespace: 'kube-system',
      body: { ...service('labelled'), metadata: { name: 'labelled', labels: { app: 'x' } } },
    });
    const all = await core.listServiceForAllNamespaces();
    assert.ok(Number(all.metadata?.resourceVersion) >= Number(api.resourceVersion) - 0);
    assert.ok(
      all.items.some((s) => s.metadata?.namespace === 'kube-system') &&
        all.items.some((s) => s.metadata?.namespace === 'default'),
    );
    const system = await core.listNamespacedService({ namespace: 'kube-system' });
    assert.deepEqual(
      system.items.map((s) => s.metadata?.name),
      ['kube-dns', 'labelled'],
    );
    const byLabel = await core.listServiceForAllNamespaces({ labelSelector: 'app=x' });
    assert.deepEqual(
      byLabel.items.map((s) => s.metadata?.name),
      ['labelled'],
    );
    const byName = await core.listServiceForAllNamespaces({ fieldSelector: 'metadata.name=kube-dns' });
    assert.deepEqual(
      byName.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
      ['kube-system/kube-dns'],
    );
    const notDefault = await core.listServiceForAllNamespaces({ fieldSelector: 'metadata.namespace!=default' });
    assert.ok(notDefault.items.every((s) => s.metadata?.namespace !== 'default'));
    assert.equal(await statusOf(core.listServiceForAllNamespaces({ fieldSelector: 'spec.bogus=1' })), 400);
  });

  it('updates with optimistic concurrency and keeps the ClusterIP', async () => {
    const current = await core.readNamespacedService({ name: 'alpha', namespace: 'default' });
    const stale = structuredClone(current);
    current.spec = { ports: [{ name: 'http', port: 8080 }] };
    const updated = await core.replaceNamespacedService({ name: 'alpha', namespace: 'default', body: current });
    assert.equal(updated.spec?.clusterIP, '10.0.0.2', 'an update without clusterIP keeps the allocated one');
    assert.equal(updated.spec?.ports?.[0]?.port, 8080);
    assert.ok(Number(updated.metadata?.resourceVersion) > Number(stale.metadata?.resourceVersion));
    stale.spec = { ...stale.spec, ports: [{ name: 'http', port: 9 }] };
    assert.equal(
      await statusOf(core.replaceNamespacedService({ name: 'alpha', namespace: 'default', body: stale })),
      409,
    );
    const same = await core.replaceNamespacedService({ name: 'alpha', namespace: 'default', body: updated });
    assert.equal(
      same.metadata?.resourceVersion,
      updated.metadata?.resourceVersion,
      'a no-op update does not bump the resourceVersion',
    );
    const moved = { ...updated, spec: { ...updated.spec, clusterIP: '10.0.0.99', clusterIPs: ['10.0.0.99'] } };
    assert.equal(
      await statusOf(core.replaceNamespacedService({ name: 'alpha', namespace: 'default', body: moved })),
      422,
    );
  });

  it('patches with JSON patch, merge patch and strategic merge patch', async () => {
    const json = await core.patchNamespacedService({
      name: 'alpha',
      namespace: 'default',
      body: [{ op: 'add', path: '/metadata/labels', value: { a: '1' } }],
    });
    assert.deepEqual(json.metadata?.labels, { a: '1' });
    const merged = await core.patchNamespacedService(
      { name: 'alpha', namespace: 'default', body: { metadata: { labels: { a: null, b: '2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.metadata?.labels, { b: '2' });
    const strategic = await core.patchNamespacedService(
      {
        name: 'alpha',
        namespace: 'default',
        body: { spec: { ports: [{ name: 'extra', port: 53, protocol: 'UDP' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(
      strategic.spec?.ports?.map((p) => p.port),
      [8080, 53],
      'strategic merge adds to the ports list by port',
    );
  });

  it('serves pods with a status subresource and endpointslices via DiscoveryV1Api', async () => {
    const pod = await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
    });
    assert.equal(pod.status?.phase, 'Pending');
    const withIp = await core.replaceNamespacedPodStatus({
      name: 'p1',
      namespace: 'default',
      body: { ...pod, status: { phase: 'Running', podIP: '10.1.2.3' } },
    });
    assert.equal(withIp.status?.podIP, '10.1.2.3');
    const ignored = await core.replaceNamespacedPod({
      name: 'p1',
      namespace: 'default',
      body: { ...withIp, status: { podIP: '9.9.9.9' } },
    });
    assert.equal(ignored.status?.podIP, '10.1.2.3', 'PUT on the pod itself leaves status alone');
    const patched = await core.patchNamespacedPodStatus(
      { name: 'p1', namespace: 'default', body: { status: { podIP: '10.1.2.4' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(patched.status?.podIP, '10.1.2.4');
    assert.equal(
      await statusOf(
        core.createNamespacedPod({
          namespace: 'default',
          body: { metadata: { name: 'p2' }, spec: { containers: [] } },
        }),
      ),
      422,
    );

    const slice = await discovery.createNamespacedEndpointSlice({
      namespace: 'default',
      body: {
        metadata: { generateName: 'web-', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.0.5'], hostname: 'web-0', conditions: { ready: true } }],
        ports: [{ name: 'http', port: 8080 }],
      },
    });
    assert.match(slice.metadata?.name ?? '', /^web-/);
    assert.equal(slice.ports?.[0]?.protocol, 'TCP');
    const listed = await discovery.listEndpointSliceForAllNamespaces({
      labelSelector: 'kubernetes.io/service-name=web',
    });
    assert.deepEqual(
      listed.items.map((s) => s.metadata?.name),
      [slice.metadata?.name],
    );
    await assert.rejects(
      discovery.createNamespacedEndpointSlice({
        namespace: 'default',
        body: { metadata: { name: 'bad' }, addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }] },
      }),
    );
    await discovery.deleteNamespacedEndpointSlice({ name: slice.metadata?.name ?? '', namespace: 'default' });
    assert.equal(
      await statusOf(discovery.readNamespacedEndpointSlice({ name: slice.metadata?.name ?? '', namespace: 'default' })),
      404,
    );
  });

  it('deletes a namespace with the objects in it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'scratch' } } });
    await core.createNamespacedService({ namespace: 'scratch', body: service('gone') });
    await core.deleteNamespace({ name: 'scratch' });
    assert.equal(await statusOf(core.readNamespace({ name: 'scratch' })), 404);
    assert.equal(await statusOf(core.readNamespacedService({ name: 'gone', namespace: 'scratch' })), 404);
  });

  it('feeds an informer through dropped watches, 410 Gone and a 500 outage', async () => {
    const informer = makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
    const seen = new Map<string, string>();
    const errors: unknown[] = [];
    const key = (s: V1Service): string => `${s.metadata?.namespace}/${s.metadata?.name}`;
    informer.on('add', (s) => seen.set(key(s), s.spec?.clusterIP ?? ''));
    informer.on('update', (s) => seen.set(key(s), s.spec?.clusterIP ?? ''));
    informer.on('delete', (s) => seen.delete(key(s)));
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await waitFor('the initial list', () => seen.has('default/kubernetes'));
      await core.createNamespacedService({ namespace: 'default', body: service('w1') });
      await waitFor('w1 through the watch', () => seen.has('default/w1'));

      api.faults.dropWatches();
      await core.createNamespacedService({ namespace: 'default', body: service('w2') });
      await waitFor('w2 after the watch was dropped', () => seen.has('default/w2'));

      api.faults.goneOnWatch(true);
      api.faults.dropWatches();
      await core.deleteNamespacedService({ name: 'w1', namespace: 'default' });
      api.faults.goneOnWatch(false);
      await waitFor('w1 removed by the re-list after 410', () => !seen.has('default/w1'));

      api.faults.failWith(500);
      assert.equal(await statusOf(core.listNamespace()), 500);
      api.faults.dropWatches();
      await waitFor('the informer to report the 500', () => errors.length > 0);
      api.faults.failWith(undefined);
      await core.createNamespacedService({ namespace: 'default', body: service('w3') });
      await informer.start();
      await waitFor('w3 after the restart', () => seen.has('default/w3'));
      assert.equal((errors[0] as { statusCode?: number }).statusCode, 500);
    } finally {
      api.faults.failWith(undefined);
      api.faults.goneOnWatch(false);
      await informer.stop();
    }
  });
  it('feeds an EndpointSlice informer on the discovery.k8s.io group', async () => {
    const informer = makeInformer(kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
      discovery.listEndpointSliceForAllNamespaces(),
    );
    const seen = new Map<string, string[]>();
    informer.on('add', (s) => seen.set(s.metadata?.name ?? '', s.endpoints?.flatMap((e) => e.addresses) ?? []));
    informer.on('update', (s) => seen.set(s.metadata?.name ?? '', s.endpoints?.flatMap((e) => e.addresses) ?? []));
    informer.on('delete', (s) => seen.delete(s.metadata?.name ?? ''));
    await informer.start();
    try {
      await waitFor('the kubernetes slice', () => seen.has('kubernetes'));
      const body = {
        metadata: { name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.2.0.1'] }],
      };
      await discovery.createNamespacedEndpointSlice({ namespace: 'kube-system', body });
      await waitFor('db-1 added', () => seen.get('db-1')?.[0] === '10.2.0.1');
      await discovery.replaceNamespacedEndpointSlice({
        name: 'db-1',
        namespace: 'kube-system',
        body: { ...body, endpoints: [{ addresses: ['10.2.0.2'] }] },
      });
      await waitFor('db-1 updated', () => seen.get('db-1')?.[0] === '10.2.0.2');
      await discovery.deleteNamespacedEndpointSlice({ name: 'db-1', namespace: 'kube-system' });
      await waitFor('db-1 deleted', () => !seen.has('db-1'));
    } finally {
      await informer.stop();
    }
  });
});

describe('without endpointslices', () => {
  it('leaves discovery.k8s.io out of discovery and answers 404 for it', async () => {
    const api = await SandboxApiServer.start({ endpointSlices: false, serviceCidr: '10.96.0.0/12' });
    try {
      const groups = (await (await fetch(`${api.url}/apis`)).json()) as { groups: { name: string }[] };
      assert.deepEqual(
        groups.groups.map((g) => g.name),
        ['coordination.k8s.io'],
      );
      assert.equal((await fetch(`${api.url}/apis/discovery.k8s.io/v1/endpointslices`)).status, 404);
      const svc = (await (await fetch(`${api.url}/api/v1/namespaces/default/services/kubernetes`)).json()) as {
        spec: { clusterIP: string };
      };
      assert.equal(svc.spec.clusterIP, '10.96.0.1');
    } finally {
      await api.stop();
    }
  });
});
