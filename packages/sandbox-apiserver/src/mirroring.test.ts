import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import { requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';
import type { JsonObject } from './json.js';
import { MIRRORING_CONTROLLER, mirroredSlices, shouldMirror } from './mirroring.js';

const run = promisify(execFile);

describe('mirroredSlices and shouldMirror (pure)', () => {
  it('turns subsets into one slice per port set and address family, carrying readiness, hostname, nodeName and targetRef', () => {
    const targetRef = { kind: 'Pod', namespace: 'default', name: 'db-0', uid: 'u0' };
    const slices = mirroredSlices({
      subsets: [
        {
          addresses: [
            { ip: '10.1.0.6' },
            { ip: '10.1.0.5', hostname: 'db-0', nodeName: 'node-a', targetRef },
            { ip: 'FD00:0:0:0:0:0:0:5' },
          ],
          notReadyAddresses: [{ ip: '10.1.0.9', hostname: 'db-9' }],
          ports: [
            { name: 'pg', port: 5432, protocol: 'TCP' },
            { name: 'metrics', port: 9187, protocol: 'TCP', appProtocol: 'http' },
          ],
        },
        // The same ports in another order: merged into the subset above; an address both ready and not ready is ready.
        {
          addresses: [{ ip: '10.1.0.7' }],
          notReadyAddresses: [{ ip: '10.1.0.6' }],
          ports: [
            { name: 'metrics', port: 9187, protocol: 'TCP', appProtocol: 'http' },
            { name: 'pg', port: 5432, protocol: 'TCP' },
          ],
        },
        { addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 53, protocol: 'UDP' }] },
      ],
    });
    const ports = [
      { name: 'pg', port: 5432, protocol: 'TCP' },
      { name: 'metrics', port: 9187, protocol: 'TCP', appProtocol: 'http' },
    ];
    assert.deepEqual(slices, [
      {
        addressType: 'IPv4',
        ports,
        endpoints: [
          { addresses: ['10.1.0.5'], conditions: { ready: true }, hostname: 'db-0', nodeName: 'node-a', targetRef },
          { addresses: ['10.1.0.6'], conditions: { ready: true } },
          { addresses: ['10.1.0.7'], conditions: { ready: true } },
          { addresses: ['10.1.0.9'], conditions: { ready: false }, hostname: 'db-9' },
        ],
      },
      { addressType: 'IPv6', ports, endpoints: [{ addresses: ['fd00::5'], conditions: { ready: true } }] },
      {
        addressType: 'IPv4',
        ports: [{ name: '', port: 53, protocol: 'UDP' }],
        endpoints: [{ addresses: ['10.1.0.5'], conditions: { ready: true } }],
      },
    ]);
  });

  it('mirrors at most 1000 addresses of a subset (ready ones first) and nothing for an empty Endpoints', () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ ip: `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
    const [slice] = mirroredSlices({
      subsets: [{ notReadyAddresses: [{ ip: '10.9.9.9' }], addresses: many, ports: [{ port: 80 }] }],
    });
    assert.equal(slice?.endpoints.length, 1000);
    assert.ok(slice?.endpoints.every((e) => (e['conditions'] as JsonObject)['ready'] === true));
    assert.deepEqual(mirroredSlices({ metadata: { name: 'x' } }), []);
    assert.deepEqual(mirroredSlices({ subsets: [{ ports: [{ port: 80 }] }] }), []);
  });

  it('mirrors only Endpoints of an existing selectorless Service that are not marked to skip', () => {
    const ep = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}): JsonObject => ({
      metadata: { name: 'x', labels, annotations },
    });
    const none = { spec: { ports: [] } };
    assert.equal(shouldMirror(ep(), none), true);
    assert.equal(
      shouldMirror(ep(), { spec: { selector: {} } }),
      true,
      'an empty selector is no selector (the API server drops empty maps)',
    );
    assert.equal(shouldMirror(ep(), { spec: { selector: { app: 'x' } } }), false);
    assert.equal(shouldMirror(ep(), undefined), false);
    assert.equal(shouldMirror(undefined, none), false);
    assert.equal(shouldMirror(ep({ 'endpointslice.kubernetes.io/skip-mirror': 'true' }), none), false);
    assert.equal(shouldMirror(ep({ 'endpointslice.kubernetes.io/skip-mirror': 'false' }), none), true);
    assert.equal(shouldMirror(ep({}, { 'control-plane.alpha.kubernetes.io/leader': '{}' }), none), false);
  });
});

interface WatchEvent {
  type: string;
  name: string;
  addresses: string[];
}

describe('the mirroring controller in the sandbox', () => {
  let api: SandboxApiServer;
  let core: CoreV1Api;
  let discovery: DiscoveryV1Api;
  let events: WatchEvent[];
  let stopWatch: AbortController;
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  const mirrored = async (service: string, namespace = 'default'): Promise<V1EndpointSlice[]> =>
    (
      await discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: `kubernetes.io/service-name=${service},endpointslice.kubernetes.io/managed-by=${MIRRORING_CONTROLLER}`,
      })
    ).items;

  before(async () => {
    api = await SandboxApiServer.start({ serviceCidr: '10.0.0.0/24,fd00:10::/108' });
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    discovery = kc.makeApiClient(DiscoveryV1Api);
    // A raw watch on every EndpointSlice, as kube2sky's informer sees them.
    events = [];
    stopWatch = new AbortController();
    const res = await fetch(
      `${api.url}/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${api.resourceVersion}`,
      { signal: stopWatch.signal },
    );
    void (async () => {
      let buffered = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += Buffer.from(chunk).toString('utf8');
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const event = JSON.parse(buffered.slice(0, newline)) as { type: string; object: V1EndpointSlice };
            buffered = buffered.slice(newline + 1);
            events.push({
              type: event.type,
              name: event.object.metadata?.name ?? '',
              addresses: (event.object.endpoints ?? []).flatMap((e) => e.addresses),
            });
          }
        }
      } catch {
        // aborted at the end
      }
    })();
  });
  after(async () => {
    stopWatch.abort();
    await api.stop();
  });

  it("creates a slice per family for a selectorless Service's Endpoints, named <service>-xxxxx, labelled and owned as the real controller does", async () => {
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } },
    });
    const endpoints = await core.createNamespacedEndpoints({
      namespace: 'default',
      body: {
        metadata: {
          name: 'db',
          labels: { team: 'data' },
          annotations: { note: 'hand-written', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        },
        subsets: [
          {
            addresses: [
              {
                ip: '10.244.1.5',
                hostname: 'db-0',
                nodeName: 'node-a',
                targetRef: { kind: 'Pod', name: 'db-0', namespace: 'default', uid: 'pod-uid' },
              },
              { ip: 'fd00:244::5', hostname: 'db-0' },
            ],
            notReadyAddresses: [{ ip: '10.244.1.6', hostname: 'db-1' }],
            ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
          },
        ],
      },
    });
    const slices = await mirrored('db');
    assert.deepEqual(slices.map((s) => s.addressType).sort(), ['IPv4', 'IPv6']);
    for (const slice of slices) {
      assert.match(slice.metadata?.name ?? '', /^db-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(slice.metadata?.generateName, 'db-');
      assert.deepEqual(slice.metadata?.labels, {
        team: 'data',
        'kubernetes.io/service-name': 'db',
        'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
      });
      assert.deepEqual(
        slice.metadata?.annotations,
        { note: 'hand-written' },
        'the last-applied annotation is not copied',
      );
      assert.deepEqual(
        slice.metadata?.ownerReferences?.map((o) => ({ ...o })),
        [
          {
            apiVersion: 'v1',
            kind: 'Endpoints',
            name: 'db',
            uid: endpoints.metadata?.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      );
      assert.deepEqual(
        slice.ports?.map((p) => ({ ...p })),
        [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      );
    }
    const v4 = slices.find((s) => s.addressType === 'IPv4');
    assert.deepEqual(
      v4?.endpoints.map((e) => [e.addresses[0], e.conditions?.ready, e.hostname, e.nodeName, e.targetRef?.name]),
      [
        ['10.244.1.5', true, 'db-0', 'node-a', 'db-0'],
        ['10.244.1.6', false, 'db-1', undefined, undefined],
      ],
    );
    assert.deepEqual(
      slices.find((s) => s.addressType === 'IPv6')?.endpoints.map((e) => e.addresses[0]),
      ['fd00:244::5'],
    );
    await waitFor('the two ADDED watch events', () => events.filter((e) => e.type === 'ADDED').length === 2);
  });

  it('updates the same slice when the Endpoints change, and deletes the family that is gone', async () => {
    const before = await mirrored('db');
    const v4Name = before.find((s) => s.addressType === 'IPv4')?.metadata?.name ?? '';
    const v6Name = before.find((s) => s.addressType === 'IPv6')?.metadata?.name ?? '';
    events.length = 0;
    await core.replaceNamespacedEndpoints({
      name: 'db',
      namespace: 'default',
      body: {
        metadata: { name: 'db', labels: { team: 'data' } },
        subsets: [
          {
            addresses: [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.1.7' }],
            ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
          },
        ],
      },
    });
    const after = await mirrored('db');
    assert.deepEqual(
      after.map((s) => s.metadata?.name),
      [v4Name],
    );
    assert.deepEqual(
      after[0]?.endpoints.map((e) => e.addresses[0]),
      ['10.244.1.5', '10.244.1.7'],
    );
    assert.equal(after[0]?.metadata?.annotations, undefined);
    await waitFor('MODIFIED and DELETED events', () => events.length >= 2);
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.name}`).sort(),
      [`DELETED ${v6Name}`, `MODIFIED ${v4Name}`].sort(),
    );
    // A write that changes nothing mirrored changes no slice.
    events.length = 0;
    await core.patchNamespacedEndpoints(
      {
        name: 'db',
        namespace: 'default',
        body: {
          metadata: { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-01T00:00:00Z' } },
        },
      },
      merge,
    );
    const rv = (await mirrored('db'))[0]?.metadata?.resourceVersion;
    assert.equal(rv, after[0]?.metadata?.resourceVersion);
    assert.deepEqual(events, []);
  });

  it('puts back a mirrored slice that someone else deleted or changed', async () => {
    const [slice] = await mirrored('db');
    const name = slice?.metadata?.name ?? '';
    await discovery.patchNamespacedEndpointSlice(
      { name, namespace: 'default', body: { endpoints: [{ addresses: ['10.9.9.9'] }] } },
      merge,
    );
    assert.deepEqual(
      (await mirrored('db'))[0]?.endpoints.map((e) => e.addresses[0]),
      ['10.244.1.5', '10.244.1.7'],
    );
    await discovery.deleteNamespacedEndpointSlice({ name, namespace: 'default' });
    const again = await mirrored('db');
    assert.equal(again.length, 1);
    assert.notEqual(again[0]?.metadata?.name, name, 'a new slice with a new generated name');
  });

  it('deletes the slices when the Endpoints are deleted or marked skip-mirror, and when the Service goes or gains a selector', async () => {
    await core.patchNamespacedEndpoints(
      {
        name: 'db',
        namespace: 'default',
        body: { metadata: { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } },
      },
      merge,
    );
    assert.deepEqual(await mirrored('db'), []);
    await core.patchNamespacedEndpoints(
      {
        name: 'db',
        namespace: 'default',
        body: { metadata: { labels: { 'endpointslice.kubernetes.io/skip-mirror': null } } },
      },
      merge,
    );
    assert.equal((await mirrored('db')).length, 1);
    await core.patchNamespacedService(
      { name: 'db', namespace: 'default', body: { spec: { selector: { app: 'db' } } } },
      merge,
    );
    assert.deepEqual(await mirrored('db'), [], 'the endpointslice controller owns Services with selectors');
    await core.patchNamespacedService({ name: 'db', namespace: 'default', body: { spec: { selector: null } } }, merge);
    assert.equal((await mirrored('db')).length, 1);
    await core.deleteNamespacedService({ name: 'db', namespace: 'default' });
    assert.deepEqual(await mirrored('db'), []);
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } },
    });
    assert.equal((await mirrored('db')).length, 1, 'a Service created after its Endpoints gets its slices');
    await core.deleteNamespacedEndpoints({ name: 'db', namespace: 'default' });
    assert.deepEqual(await mirrored('db'), []);
  });

  it('leaves Services with selectors, Endpoints without a Service, and default/kubernetes alone; a namespace delete leaves nothing behind', async () => {
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    await core.createNamespacedEndpoints({
      namespace: 'default',
      body: { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.244.2.1' }], ports: [{ port: 80 }] }] },
    });
    await core.createNamespacedEndpoints({
      namespace: 'default',
      body: { metadata: { name: 'orphan' }, subsets: [{ addresses: [{ ip: '10.244.2.2' }], ports: [{ port: 80 }] }] },
    });
    assert.deepEqual(await mirrored('web'), []);
    assert.deepEqual(await mirrored('orphan'), []);
    assert.deepEqual(
      (await discovery.listNamespacedEndpointSlice({ namespace: 'default' })).items.map((s) => s.metadata?.name),
      ['kubernetes'],
    );

    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
    await core.createNamespacedService({
      namespace: 'apps',
      body: { metadata: { name: 'ext' }, spec: { ports: [{ port: 443 }] } },
    });
    await core.createNamespacedEndpoints({
      namespace: 'apps',
      body: { metadata: { name: 'ext' }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 443 }] }] },
    });
    assert.equal((await mirrored('ext', 'apps')).length, 1);
    await core.deleteNamespace({ name: 'apps' });
    assert.deepEqual(
      (await discovery.listEndpointSliceForAllNamespaces()).items.filter((s) => s.metadata?.namespace === 'apps'),
      [],
    );
  });

  it('shows the mirrored slice to kubectl get endpointslices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-mirror-'));
    try {
      const yaml = join(dir, 'objects.yaml');
      writeFileSync(
        yaml,
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: legacy\nspec:\n  clusterIP: None\n  ports:\n  - port: 53\n    protocol: UDP\n---\napiVersion: v1\nkind: Endpoints\nmetadata:\n  name: legacy\nsubsets:\n- addresses:\n  - ip: 10.244.3.3\n  ports:\n  - port: 53\n    protocol: UDP\n',
      );
      const kubectl = async (...args: string[]): Promise<string> =>
        (
          await run(
            requireTool('kubectl'),
            ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
            { timeout: 30_000 },
          )
        ).stdout;
      await kubectl('create', '-f', yaml);
      const table = await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=legacy');
      assert.match(
        table,
        /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\nlegacy-[a-z0-9]{5}\s+IPv4\s+53\s+10\.244\.3\.3\s+\d+s\n$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('without EndpointSlices (--no-endpoint-slices)', () => {
  it('mirrors nothing', async () => {
    const api = await SandboxApiServer.start({ endpointSlices: false });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ port: 1 }] } },
      });
      await core.createNamespacedEndpoints({
        namespace: 'default',
        body: { metadata: { name: 'db' }, subsets: [{ addresses: [{ ip: '10.1.1.1' }], ports: [{ port: 1 }] }] },
      });
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      assert.match(metrics, /sandbox_apiserver_objects\{resource="endpointslices"\} 0/);
    } finally {
      await api.stop();
    }
  });
});
