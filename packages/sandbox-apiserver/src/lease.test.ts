import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  CoordinationV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type V1Lease,
} from '@kubernetes/client-node';
import { requireTool } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

const run = promisify(execFile);

async function failure(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
    return { code: 200, message: '' };
  } catch (err) {
    const { code, body } = err as { code?: number; body?: string };
    return { code: code ?? -1, message: String((JSON.parse(body ?? '{}') as { message?: string }).message) };
  }
}

function lease(name: string, holder: string, extra: Partial<NonNullable<V1Lease['spec']>> = {}): V1Lease {
  return { metadata: { name }, spec: { holderIdentity: holder, leaseDurationSeconds: 15, ...extra } };
}

describe('coordination.k8s.io/v1 Leases (leader election as kube2sky does it with CoordinationV1Api)', () => {
  let api: SandboxApiServer;
  let leases: CoordinationV1Api;

  before(async () => {
    api = await SandboxApiServer.start();
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    leases = kc.makeApiClient(CoordinationV1Api);
  });
  after(async () => {
    await api.stop();
  });

  it('is in discovery under /apis/coordination.k8s.io and /apis/coordination.k8s.io/v1', async () => {
    const groups = (await (await fetch(`${api.url}/apis`)).json()) as {
      groups: { name: string; preferredVersion: { groupVersion: string } }[];
    };
    assert.deepEqual(
      groups.groups.map((g) => [g.name, g.preferredVersion.groupVersion]),
      [
        ['coordination.k8s.io', 'coordination.k8s.io/v1'],
        ['discovery.k8s.io', 'discovery.k8s.io/v1'],
      ],
    );
    const group = (await (await fetch(`${api.url}/apis/coordination.k8s.io`)).json()) as { kind: string; name: string };
    assert.deepEqual([group.kind, group.name], ['APIGroup', 'coordination.k8s.io']);
    const list = (await (await fetch(`${api.url}/apis/coordination.k8s.io/v1`)).json()) as {
      groupVersion: string;
      resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[];
    };
    assert.equal(list.groupVersion, 'coordination.k8s.io/v1');
    assert.deepEqual(
      list.resources.map((r) => [r.name, r.namespaced, r.kind]),
      [['leases', true, 'Lease']],
    );
    assert.ok(list.resources[0]?.verbs.includes('watch'));
  });

  it('acquires, renews with optimistic concurrency, and refuses a stale or missing resourceVersion', async () => {
    const acquired = new V1MicroTime('2026-12-04T22:00:00.000Z');
    const created = await leases.createNamespacedLease({
      namespace: 'kube-system',
      body: lease('kube2sky', 'pod-a', { acquireTime: acquired, renewTime: acquired, leaseTransitions: 0 }),
    });
    assert.equal(created.spec?.holderIdentity, 'pod-a');
    assert.equal(created.spec?.leaseDurationSeconds, 15);
    const raw = (await (
      await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube2sky`)
    ).json()) as { apiVersion: string; kind: string; spec: { acquireTime: string; renewTime: string } };
    assert.deepEqual([raw.apiVersion, raw.kind], ['coordination.k8s.io/v1', 'Lease']);
    assert.equal(
      raw.spec.renewTime,
      '2026-12-04T22:00:00.000000Z',
      'MicroTime as client-node sends it and the real server keeps it: six fraction digits',
    );

    // pod-a renews: PUT with the resourceVersion it read.
    const renewed = await leases.replaceNamespacedLease({
      name: 'kube2sky',
      namespace: 'kube-system',
      body: { ...created, spec: { ...created.spec, renewTime: new V1MicroTime('2026-12-04T22:00:05.123Z') } },
    });
    assert.ok(Number(renewed.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));
    // pod-b read the lease before that renewal: its takeover loses the race.
    const stale = await failure(
      leases.replaceNamespacedLease({
        name: 'kube2sky',
        namespace: 'kube-system',
        body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-b', leaseTransitions: 1 } },
      }),
    );
    assert.deepEqual(
      [stale.code, stale.message],
      [
        409,
        'Operation cannot be fulfilled on leases.coordination.k8s.io "kube2sky": the object has been modified; please apply your changes to the latest version and try again',
      ],
    );
    // A PUT without any resourceVersion is refused for Leases (AllowUnconditionalUpdate is false).
    const blind = await failure(
      leases.replaceNamespacedLease({ name: 'kube2sky', namespace: 'kube-system', body: lease('kube2sky', 'pod-b') }),
    );
    assert.deepEqual(
      [blind.code, blind.message],
      [
        422,
        'leases.coordination.k8s.io "kube2sky" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      ],
    );
    // With the current version pod-b takes over.
    const current = await leases.readNamespacedLease({ name: 'kube2sky', namespace: 'kube-system' });
    assert.equal(current.spec?.holderIdentity, 'pod-a');
    const taken = await leases.replaceNamespacedLease({
      name: 'kube2sky',
      namespace: 'kube-system',
      body: { ...current, spec: { ...current.spec, holderIdentity: 'pod-b', leaseTransitions: 1 } },
    });
    assert.deepEqual([taken.spec?.holderIdentity, taken.spec?.leaseTransitions], ['pod-b', 1]);
    // A patch needs no resourceVersion.
    const patched = await leases.patchNamespacedLease(
      { name: 'kube2sky', namespace: 'kube-system', body: { spec: { holderIdentity: 'pod-c' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(patched.spec?.holderIdentity, 'pod-c');
  });

  it('PUT of a missing Lease creates it (201), as the real server', async () => {
    const res = await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/default/leases/fresh`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(lease('fresh', 'me')),
    });
    assert.equal(res.status, 201);
    assert.equal(
      (await leases.readNamespacedLease({ name: 'fresh', namespace: 'default' })).spec?.holderIdentity,
      'me',
    );
  });

  it('validates as the real server: durations, transitions, field types and MicroTime', async () => {
    const zero = await failure(
      leases.createNamespacedLease({ namespace: 'default', body: lease('zero', 'x', { leaseDurationSeconds: 0 }) }),
    );
    assert.deepEqual(
      [zero.code, zero.message],
      [422, 'Lease "zero" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
    );
    const negative = await failure(
      leases.createNamespacedLease({ namespace: 'default', body: lease('neg', 'x', { leaseTransitions: -1 }) }),
    );
    assert.deepEqual(
      [negative.code, negative.message],
      [422, 'Lease "neg" is invalid: spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0'],
    );
    assert.equal(
      (await failure(leases.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'Bad_Name' } } })))
        .code,
      422,
    );
    assert.equal(
      (await failure(leases.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'empty' } } })))
        .code,
      200,
      'every spec field is optional',
    );
    const post = (body: unknown): Promise<Response> =>
      fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal(
      (await post({ metadata: { name: 'holder' }, spec: { holderIdentity: 7 } })).status,
      400,
      'holderIdentity is a string',
    );
    assert.equal(
      (await post({ metadata: { name: 'frac' }, spec: { leaseDurationSeconds: 1.5 } })).status,
      400,
      'leaseDurationSeconds is an int32',
    );
    const millis = await post({ metadata: { name: 'millis' }, spec: { renewTime: '2026-12-04T22:00:00.123Z' } });
    assert.equal(millis.status, 400, 'a MicroTime needs six fraction digits');
    assert.match(
      ((await millis.json()) as { message: string }).message,
      /spec\.renewTime must be a time such as "2006-01-02T15:04:05\.000000Z"/,
    );
    assert.equal(
      (await post({ metadata: { name: 'feb30' }, spec: { renewTime: '2026-02-30T22:00:00.000000Z' } })).status,
      400,
    );
    const offset = await post({
      metadata: { name: 'offset' },
      spec: { acquireTime: '2026-12-04T23:30:00.000001+01:00' },
    });
    assert.equal(offset.status, 201);
    assert.equal(
      ((await offset.json()) as { spec: { acquireTime: string } }).spec.acquireTime,
      '2026-12-04T22:30:00.000001Z',
      'stored in UTC with its microseconds',
    );
  });

  it('lists, watches and deletes (a Success Status), and kubectl shows NAME HOLDER AGE', async () => {
    const list = await leases.listNamespacedLease({ namespace: 'kube-system' });
    assert.deepEqual(
      list.items.map((l) => l.metadata?.name),
      ['kube2sky'],
    );
    const watch = fetch(
      `${api.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?watch=1&resourceVersion=${list.metadata?.resourceVersion ?? ''}&timeoutSeconds=1`,
    ).then((r) => r.text());
    await leases.createNamespacedLease({ namespace: 'kube-system', body: lease('other', 'pod-z') });
    const all = await leases.listLeaseForAllNamespaces({ fieldSelector: 'metadata.namespace=kube-system' });
    assert.deepEqual(
      all.items.map((l) => l.metadata?.name),
      ['kube2sky', 'other'],
    );
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-lease-'));
    try {
      const { stdout } = await run(
        requireTool('kubectl'),
        ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), 'get', 'leases', '-n', 'kube-system'],
        { timeout: 30_000 },
      );
      assert.match(stdout, /^NAME\s+HOLDER\s+AGE\nkube2sky\s+pod-c\s+\d+s\nother\s+pod-z\s+\d+s\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const deleted = (await (
      await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/other`, { method: 'DELETE' })
    ).json()) as { kind: string; status: string };
    assert.deepEqual([deleted.kind, deleted.status], ['Status', 'Success']);
    const events = (await watch)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED other', 'DELETED other'],
    );
  });
});
