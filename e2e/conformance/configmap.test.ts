import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane } from '@kube-dns-legacy/control-plane';
import { dig, kubeDnsConfigMap, startDnsmasq, waitFor } from '@kube-dns-legacy/testkit';
import { podStatus } from './objects.js';
import { DnsPod, NODE, UPSTREAM_ADDRESS, startControlPlane } from './pod.js';

// The kube-dns ConfigMap (stubDomains, upstreamNameservers) on the real API server: kube2sky reads it
// as kube-system/kube-dns with exactly the RBAC of manifests/rbac.yaml (that one ConfigMap, by name)
// and mirrors it into etcd under dns/stub/ and dns/upstream/ (docs/records.md), which skydns
// (-stubzones, as in manifests/skydns-rc.yaml) follows.

let plane: ControlPlane;
let pod: DnsPod;

before(async () => {
  plane = await startControlPlane();
  pod = await DnsPod.start(plane);
});

after(async () => {
  await pod?.stop();
  await plane?.stop();
});

async function dnsKeys(): Promise<string> {
  return JSON.stringify([...(await pod.etcd.dump('/skydns/local/cluster/dns/'))].sort(([a], [b]) => (a < b ? -1 : 1)));
}

test('rbac.yaml: get, list and watch on the kube-dns ConfigMap in kube-system, and no other', async () => {
  const as = '--as=system:serviceaccount:kube-system:kube-dns';
  for (const verb of ['get', 'list', 'watch'])
    assert.equal(
      (await plane.kubectl(['auth', 'can-i', verb, 'configmaps/kube-dns', '-n', 'kube-system', as])).trim(),
      'yes',
      verb,
    );
  for (const args of [
    ['get', 'configmaps/coredns', '-n', 'kube-system'],
    ['list', 'configmaps', '-n', 'kube-system'],
    ['get', 'configmaps/kube-dns', '-n', 'default'],
    ['update', 'configmaps/kube-dns', '-n', 'kube-system'],
  ])
    await assert.rejects(plane.kubectl(['auth', 'can-i', ...args, as]), /no$/, args.join(' '));
});

test('created, made invalid, changed and deleted with kubectl: etcd follows, invalid content leaves the last valid one', async () => {
  await plane.kubectl(
    ['create', '-f', '-'],
    kubeDnsConfigMap('{"acme.local": ["10.150.0.1"]}', '["8.8.8.8", "8.8.4.4:53"]'),
  );
  const valid = JSON.stringify([
    ['/skydns/local/cluster/dns/stub/local/acme/0', '{"host":"10.150.0.1","port":53}'],
    ['/skydns/local/cluster/dns/upstream/0', '{"host":"8.8.8.8","port":53}'],
    ['/skydns/local/cluster/dns/upstream/1', '{"host":"8.8.4.4","port":53}'],
  ]);
  await waitFor('the ConfigMap in etcd', async () => (await dnsKeys()) === valid, 30_000, 200);

  const errors = await pod.metric('kube2sky_errors_total', 'kind="configmap"');
  await plane.kubectl(
    ['replace', '-f', '-'],
    kubeDnsConfigMap('{"acme.local": ["10.150.0.1"]}', '["1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"]'),
  );
  await waitFor(
    'the invalid ConfigMap counted',
    async () => (await pod.metric('kube2sky_errors_total', 'kind="configmap"')) === errors + 1,
    30_000,
    200,
  );
  assert.equal(await dnsKeys(), valid, 'the last valid configuration stays in force');
  assert.match(pod.kube2sky.output, /cannot have more than 3 entries/);

  await plane.kubectl(['replace', '-f', '-'], kubeDnsConfigMap('{"corp.example": ["[fd00::53]:5353"]}', '["1.1.1.1"]'));
  const changed = JSON.stringify([
    ['/skydns/local/cluster/dns/stub/example/corp/0', '{"host":"fd00::53","port":5353}'],
    ['/skydns/local/cluster/dns/upstream/0', '{"host":"1.1.1.1","port":53}'],
  ]);
  await waitFor('the change in etcd', async () => (await dnsKeys()) === changed, 30_000, 200);

  await plane.kubectl(['delete', 'configmap', 'kube-dns', '-n', 'kube-system']);
  await waitFor('the keys removed', async () => (await dnsKeys()) === '[]', 30_000, 200);
  assert.ok(pod.kube2sky.alive);
  assert.equal(await pod.metric('kube2sky_watch_restarts_total', 'resource="configmaps"'), 0, 'never refused (403)');
});

test('the whole path: the ConfigMap created with kubectl ends in dig answers from its stub and upstream servers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kdl-conformance-zones-'));
  const stub = await startDnsmasq(dir, 'acme.local', [['10.150.0.5', 'www.acme.local']]);
  const upstream = await startDnsmasq(dir, 'example.org', [['198.51.100.1', 'www.example.org']]);
  /** The addresses skydns answers for `name`, comma-separated. */
  const a = async (name: string): Promise<string> =>
    (await dig(pod.skydns.port, name, 'A')).answer.map((r) => r.slice(r.lastIndexOf(' ') + 1)).join();
  try {
    assert.equal(await a('www.acme.local'), UPSTREAM_ADDRESS, "before: the pod's default upstream");
    await plane.kubectl(
      ['create', '-f', '-'],
      kubeDnsConfigMap(`{"acme.local": ["127.0.0.1:${stub.port}"]}`, `["127.0.0.1:${upstream.port}"]`),
    );
    await waitFor(
      'acme.local from its stub server, example.org from the upstream nameserver',
      async () => (await a('www.acme.local')) === '10.150.0.5' && (await a('www.example.org')) === '198.51.100.1',
      30_000,
      200,
    );
    assert.equal(await a('kubernetes.default.svc.cluster.local'), '10.0.0.1', 'the cluster domain stays local');
    await plane.kubectl(['delete', 'configmap', 'kube-dns', '-n', 'kube-system']);
    await waitFor(
      "the pod's default upstream again",
      async () => (await a('www.acme.local')) === UPSTREAM_ADDRESS && (await a('www.example.org')) === UPSTREAM_ADDRESS,
      30_000,
      200,
    );
  } finally {
    await stub.process.stop();
    await upstream.process.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the bad values kube2sky refuses (docs/kube2sky.md): which ones this API server refuses too', async () => {
  const externalName = async (name: string, value: string): Promise<boolean> =>
    plane
      .apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'default' },
        spec: { type: 'ExternalName', externalName: value },
      })
      .then(
        () => true,
        () => false,
      );
  assert.equal(await externalName('ext-space', 'a b.example.com'), false);
  assert.equal(await externalName('ext-bang', 'bang!.example.com'), false);
  assert.equal(await externalName('ext-underscore', 'under_score.example.com'), false);
  assert.equal(await externalName('ext-numeric', '256.1.1.1'), true, 'accepted: kube2sky must refuse it itself');
  await plane.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mapped', namespace: 'default' },
    spec: { nodeName: NODE, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
  });
  const status = (ip: string): Promise<boolean> =>
    plane
      .kubectl([
        'patch',
        'pod',
        'mapped',
        '-n',
        'default',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(podStatus([ip], true)),
      ])
      .then(
        () => true,
        () => false,
      );
  assert.equal(await status('::ffff:10.244.9.7'), false, 'an IPv4-mapped pod IP');
  assert.equal(await status('fe80::1%eth0'), false, 'a zoned pod IP');
  assert.equal(await status('10.244.9.7'), true);
});
