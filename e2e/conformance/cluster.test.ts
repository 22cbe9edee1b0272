import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import type { ControlPlane } from '@kube-dns-legacy/control-plane';
import { waitFor } from '@kube-dns-legacy/testkit';
import { sh } from '../src/pod.js';
import { DnsPod, MANIFESTS, UPSTREAM_ADDRESS, startControlPlane } from './pod.js';
import { NS, createTestObjects, expectedRecords } from './objects.js';

// The user's flow, the pod's identity and the records of real objects, against a real
// kube-apiserver and kube-controller-manager (e2e/conformance/README in docs/conformance.md).

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

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths where `actual` lacks or differs from what `expected` says (`expected` a subset: the server adds defaults). */
function differences(expected: Json, actual: Json | undefined, path = ''): string[] {
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(expected) !== Array.isArray(actual))
      return [`${path}: ${JSON.stringify(actual)}`];
    if (Array.isArray(expected)) {
      const list = actual as Json[];
      if (list.length !== expected.length) return [`${path}: ${expected.length} items expected, ${list.length} found`];
      return expected.flatMap((item, i) => differences(item, list[i], `${path}[${i}]`));
    }
    return Object.entries(expected).flatMap(([k, v]) =>
      differences(v, (actual as Record<string, Json>)[k], `${path}.${k}`),
    );
  }
  return expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`];
}

test('the manifests pass server-side validation and exist as written after kubectl create', async () => {
  for (const manifest of MANIFESTS) {
    const out = await plane.kubectl(['apply', '--dry-run=server', '-f', manifest]);
    assert.match(out, /\(server dry run\)/, `${manifest}: ${out}`);
  }
  for (const manifest of MANIFESTS) {
    for (const doc of yaml.loadAll(await readFile(manifest, 'utf8')) as Array<{
      kind: string;
      metadata: { name: string; namespace?: string };
    } | null>) {
      if (doc === null) continue;
      const args = [
        'get',
        doc.kind,
        doc.metadata.name,
        '-o',
        'json',
        ...(doc.metadata.namespace ? ['-n', doc.metadata.namespace] : []),
      ];
      const live = JSON.parse(await plane.kubectl(args)) as Json;
      assert.deepEqual(
        differences(doc as unknown as Json, live),
        [],
        `${manifest}: ${doc.kind} ${doc.metadata.name} differs from the server's object`,
      );
    }
  }
});

test('kube2sky runs as kube-system/kube-dns with exactly the RBAC of manifests/rbac.yaml', async () => {
  const as = '--as=system:serviceaccount:kube-system:kube-dns';
  for (const resource of ['services', 'endpoints', 'pods', 'namespaces', 'endpointslices.discovery.k8s.io']) {
    for (const verb of ['get', 'list', 'watch'])
      assert.equal(
        (await plane.kubectl(['auth', 'can-i', verb, resource, '-A', as])).trim(),
        'yes',
        `${verb} ${resource}`,
      );
  }
  for (const [verb, resource] of [
    ['create', 'services'],
    ['delete', 'pods'],
    ['get', 'secrets'],
    ['list', 'configmaps'],
    ['update', 'endpointslices.discovery.k8s.io'],
  ]) {
    // can-i prints "no" and exits 1.
    await assert.rejects(
      plane.kubectl(['auth', 'can-i', verb ?? '', resource ?? '', '-A', as]),
      /no$/,
      `${verb} ${resource} must be denied`,
    );
  }
  // --leader-elect: create Leases in kube-system, get and update only kube2sky's.
  assert.equal(
    (await plane.kubectl(['auth', 'can-i', 'create', 'leases.coordination.k8s.io', '-n', 'kube-system', as])).trim(),
    'yes',
  );
  for (const verb of ['get', 'update'])
    assert.equal(
      (
        await plane.kubectl(['auth', 'can-i', verb, 'leases.coordination.k8s.io/kube2sky', '-n', 'kube-system', as])
      ).trim(),
      'yes',
    );
  await assert.rejects(
    plane.kubectl([
      'auth',
      'can-i',
      'update',
      'leases.coordination.k8s.io/kube-controller-manager',
      '-n',
      'kube-system',
      as,
    ]),
    /no$/,
  );
  await assert.rejects(
    plane.kubectl(['auth', 'can-i', 'delete', 'leases.coordination.k8s.io/kube2sky', '-n', 'kube-system', as]),
    /no$/,
  );
  // It reads with the token it was given: the API server's audit of who it is.
  const token = (await readFile(`${pod.accountDir}/token`, 'utf8')).trim();
  const who = JSON.parse(
    await sh(
      `kubectl --server=${plane.url} --certificate-authority=${plane.pki.caCert} --token=${token} auth whoami -o json`,
    ),
  ) as { status: { userInfo: { username: string } } };
  assert.equal(who.status.userInfo.username, 'system:serviceaccount:kube-system:kube-dns');
});

test('records for real objects are exactly what docs/records.md says, and skydns answers them', async () => {
  const clusterIps = await createTestObjects(plane);
  assert.equal(clusterIps.get(`${NS}/dual`)?.length, 2, 'the dual-stack Service has an IPv4 and an IPv6 ClusterIP');
  assert.match(clusterIps.get(`${NS}/v6`)?.[0] ?? '', /^fd00:10::/, 'the IPv6 Service has an IPv6 ClusterIP');
  // The controller manager mirrored the hand-written Endpoints into a slice.
  await waitFor(
    'the mirrored EndpointSlice of conf/manual',
    async () =>
      (
        await plane.kubectl([
          'get',
          'endpointslices',
          '-n',
          NS,
          '-l',
          'kubernetes.io/service-name=manual',
          '-o',
          'name',
        ])
      ).trim() !== '',
    30_000,
  );
  const want = expectedRecords(clusterIps);
  let got = new Map<string, string>();
  await waitFor(
    'etcd to hold exactly the documented records',
    async () => {
      got = await pod.records();
      return got.size === want.size && [...want].every(([k, v]) => got.get(k) === v);
    },
    60_000,
    250,
  ).catch(() => {
    assert.deepEqual(
      Object.fromEntries([...got].sort()),
      Object.fromEntries([...want].sort()),
      `kube2sky:\n${pod.kube2sky.output.slice(-3_000)}`,
    );
  });

  const dig = async (type: string, name: string): Promise<string[]> =>
    (await sh(`dig @127.0.0.1 -p ${pod.skydns.port} +short +time=2 +tries=1 ${type} ${name}`))
      .split('\n')
      .filter((l) => l !== '')
      .sort();
  const web = clusterIps.get(`${NS}/web`) ?? [];
  assert.deepEqual(await dig('A', `web.${NS}.svc.cluster.local`), web);
  assert.deepEqual(await dig('SRV', `_http._tcp.web.${NS}.svc.cluster.local`), [
    `10 100 80 web.${NS}.svc.cluster.local.`,
  ]);
  assert.deepEqual(await dig('A', `web-headless.${NS}.svc.cluster.local`), ['10.244.1.5', '10.244.2.7']);
  assert.deepEqual(await dig('A', `web-0.web-headless.${NS}.svc.cluster.local`), ['10.244.1.5']);
  assert.deepEqual(await dig('A', `primary.manual.${NS}.svc.cluster.local`), ['10.250.0.1']);
  assert.deepEqual(await dig('A', `manual.${NS}.svc.cluster.local`), ['10.250.0.1', '10.250.0.2']);
  const dual = clusterIps.get(`${NS}/dual`) ?? [];
  assert.deepEqual(await dig('A', `dual.${NS}.svc.cluster.local`), [dual[0]]);
  assert.deepEqual(await dig('AAAA', `dual.${NS}.svc.cluster.local`), [dual[1]]);
  assert.deepEqual(await dig('AAAA', `v6.${NS}.svc.cluster.local`), clusterIps.get(`${NS}/v6`));
  // SkyDNS answers the ExternalName's A question with the CNAME and the target's address from upstream.
  assert.deepEqual(await dig('A', `ext.${NS}.svc.cluster.local`), [UPSTREAM_ADDRESS, 'db.example.com.']);
  assert.deepEqual(await dig('PTR', '5.1.244.10.in-addr.arpa'), [`web-0.web-headless.${NS}.svc.cluster.local.`]);
  assert.deepEqual(await dig('-x', dual[1] ?? ''), [`dual.${NS}.svc.cluster.local.`]);
  assert.deepEqual(await dig('A', `10-244-3-9.${NS}.pod.cluster.local`), ['10.244.3.9']);
  assert.deepEqual(await dig('AAAA', `fd00-244--7.${NS}.pod.cluster.local`), ['fd00:244::7']);
  assert.deepEqual(await dig('A', 'kubernetes.default.svc.cluster.local'), clusterIps.get('default/kubernetes'));
});

test('a missing RBAC permission: a clear logged error and a metric, no crash; granting it again heals', async () => {
  const live = JSON.parse(await plane.kubectl(['get', 'clusterrole', 'kube-dns-legacy', '-o', 'json'])) as {
    metadata: object;
    rules: Array<{ resources: string[] }>;
  };
  // Without its resourceVersion, so that each replace is unconditional.
  const role = { ...live, metadata: { ...live.metadata, resourceVersion: undefined } };
  const without = {
    ...role,
    rules: role.rules.map((r) => ({ ...r, resources: r.resources.filter((x) => x !== 'pods') })),
  };
  await plane.kubectl(['replace', '-f', '-'], JSON.stringify(without));
  try {
    await pod.restartKube2sky('SIGTERM', [], false);
    await waitFor(
      'kube2sky to log the forbidden pod list',
      async () => /list\/watch not allowed/.test(pod.kube2sky.output),
      20_000,
    );
    const line = pod.kube2sky.output.split('\n').find((l) => l.includes('list/watch not allowed')) ?? '';
    assert.match(line, /"level":"error"/);
    assert.match(line, /"resource":"pods"/);
    assert.match(
      line,
      /HTTP 403: pods is forbidden: User \\"system:serviceaccount:kube-system:kube-dns\\" cannot list resource \\"pods\\"/,
    );
    assert.match(line, /manifests\/rbac.yaml/);
    assert.ok((await pod.metric('kube2sky_watch_restarts_total', 'resource="pods"')) > 0);
    assert.equal(
      (await fetch(`http://127.0.0.1:${pod.healthzPort}/readiness`)).status,
      503,
      'not ready without the pods',
    );
    assert.ok(pod.kube2sky.alive);
    assert.doesNotMatch(pod.kube2sky.output, /\n\s+at /, 'a stack trace');
  } finally {
    await plane.kubectl(['replace', '-f', '-'], JSON.stringify(role));
  }
  await pod.waitReady(60_000);
});

test('a rotated ServiceAccount token keeps kube2sky syncing after the old one is revoked', async () => {
  // Tokens bound to a Secret die with it: the way to revoke one on a real API server.
  const bound = async (n: number): Promise<string> => {
    await plane.kubectl(['create', 'secret', 'generic', `kube2sky-token-${n}`, '-n', 'kube-system']);
    return plane.serviceAccountToken('kube-system', 'kube-dns', '10m', `kube2sky-token-${n}`);
  };
  await plane.writeServiceAccount(pod.accountDir, await bound(1));
  await pod.restartKube2sky();
  await plane.writeServiceAccount(pod.accountDir, await bound(2));
  // kube2sky re-reads the token file every minute (as client-go does).
  await new Promise((r) => setTimeout(r, 65_000));
  await plane.kubectl(['delete', 'secret', 'kube2sky-token-1', '-n', 'kube-system']);
  // Open watches were authenticated with the old token; a restarted API server makes kube2sky ask again.
  await plane.restartApiServer();
  await plane.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'after-rotation', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80 }] },
  });
  await waitFor(
    'the Service created after the rotation in etcd',
    async () => (await pod.etcd.dump('/skydns/local/cluster/svc/default/after-rotation/')).size === 2,
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${pod.kube2sky.output.slice(-3_000)}`);
  });
  // No request with the revoked token (a 401). A restarted API server may answer 403 for a moment,
  // until its RBAC caches are filled: that is retried like any other error.
  assert.doesNotMatch(pod.kube2sky.output, /the token or client certificate was refused/);
  await plane.kubectl(['delete', 'service', 'after-rotation']);
});

test("--leader-elect on the real API server: kube2sky creates and renews its Lease with rbac.yaml's rights and writes as leader", async () => {
  await pod.restartKube2sky('SIGTERM', [
    '--leader-elect',
    '--leader-elect-lease-duration=4s',
    '--leader-elect-renew-deadline=3s',
    '--leader-elect-retry-period=1s',
  ]);
  const lease = async (): Promise<{ spec: { holderIdentity?: string; renewTime?: string } }> =>
    JSON.parse(await plane.kubectl(['get', 'lease', 'kube2sky', '-n', 'kube-system', '-o', 'json'])) as {
      spec: { holderIdentity?: string; renewTime?: string };
    };
  await waitFor('kube2sky to lead', async () => (await pod.metric('kube2sky_leader')) === 1, 30_000, 250);
  const first = await lease();
  assert.match(first.spec.holderIdentity ?? '', /_[0-9a-f]{8}$/);
  assert.match(
    first.spec.renewTime ?? '',
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
    'a MicroTime the API server accepted',
  );
  await waitFor('a renewal', async () => (await lease()).spec.renewTime !== first.spec.renewTime, 10_000, 250);
  await plane.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'elected', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80 }] },
  });
  await waitFor(
    'the leader to write the new Service',
    async () => (await pod.etcd.dump('/skydns/local/cluster/svc/default/elected/')).size === 2,
    30_000,
  );
  assert.doesNotMatch(pod.kube2sky.output, /leader election request failed/);
  // SIGTERM releases the Lease for the next leader.
  await pod.kube2sky.stop('SIGTERM');
  assert.equal((await lease()).spec.holderIdentity ?? '', '', 'released on shutdown');
  await plane.kubectl(['delete', 'service', 'elected']);
  await pod.restartKube2sky();
});
