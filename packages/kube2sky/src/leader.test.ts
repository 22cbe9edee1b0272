import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { waitFor } from '@kube-dns-legacy/testkit';
import { LeaderElector, microTime, type LeaderElectionConfig } from './leader.js';
import { createLogger } from '@kube-dns-legacy/processkit';
import { Metrics } from './metrics.js';

const timing = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 150 };

/** An elector on the sandbox's Lease kube-system/kube2sky, recording when it led. */
function elector(
  api: SandboxApiServer,
  identity: string,
  config: Partial<LeaderElectionConfig> = {},
): { e: LeaderElector; events: string[]; metrics: Metrics } {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfigPath);
  const events: string[] = [];
  const metrics = new Metrics();
  const e = new LeaderElector({
    kubeConfig,
    logger: createLogger('kube2sky', 'error'),
    metrics,
    namespace: 'kube-system',
    name: 'kube2sky',
    identity,
    ...timing,
    ...config,
    onStartedLeading: () => events.push(`start ${Date.now()}`),
    onStoppedLeading: () => events.push(`stop ${Date.now()}`),
  });
  return { e, events, metrics };
}

async function lease(
  api: SandboxApiServer,
): Promise<{ spec: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string } }> {
  return (await (
    await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube2sky`)
  ).json()) as { spec: { holderIdentity?: string } };
}

test('MicroTime has six fraction digits', () => {
  assert.equal(microTime(Date.UTC(2026, 11, 4, 22, 0, 0, 123)), '2026-12-04T22:00:00.123000Z');
});

test('of two replicas exactly one leads at any moment; a graceful stop hands over at once', async () => {
  const api = await SandboxApiServer.start({ port: 0 });
  const a = elector(api, 'a');
  const b = elector(api, 'b');
  let both = 0;
  const sampler = setInterval(() => {
    if (a.e.isLeader && b.e.isLeader) both++;
  }, 10);
  try {
    a.e.start();
    b.e.start();
    await waitFor('a leader', () => a.e.isLeader || b.e.isLeader, 5_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const [leader, follower] = a.e.isLeader ? [a, b] : [b, a];
    assert.equal(follower.e.isLeader, false);
    assert.equal(follower.e.leader, leader === a ? 'a' : 'b', 'the follower knows who leads');
    assert.equal((await lease(api)).spec.holderIdentity, leader === a ? 'a' : 'b');
    assert.equal(
      await leader.metrics.registry
        .getSingleMetricAsString('kube2sky_leader')
        .then((t) => /kube2sky_leader\{identity="[ab]"\} 1/.test(t)),
      true,
    );
    const stopped = Date.now();
    await leader.e.stop();
    await waitFor('the follower to take over', () => follower.e.isLeader, 2_000);
    // Released: no waiting for the lease duration (1.5 s).
    assert.ok(Date.now() - stopped < timing.leaseDurationMs, `took over after ${Date.now() - stopped} ms`);
    assert.equal(both, 0, 'never two leaders');
  } finally {
    clearInterval(sampler);
    await a.e.stop();
    await b.e.stop();
    await api.stop();
  }
});

test('a Lease held by a replica that stopped renewing is taken only after a lease duration of silence', async () => {
  const api = await SandboxApiServer.start({ port: 0 });
  const now = microTime(Date.now());
  const res = await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      metadata: { name: 'kube2sky' },
      spec: { holderIdentity: 'ghost', leaseDurationSeconds: 2, acquireTime: now, renewTime: now, leaseTransitions: 3 },
    }),
  });
  assert.equal(res.status, 201);
  const b = elector(api, 'b');
  try {
    const started = Date.now();
    b.e.start();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(b.e.isLeader, false, "the ghost's lease (2 s) has not run out on b's clock");
    assert.equal(b.e.leader, 'ghost');
    await waitFor('b to take over', () => b.e.isLeader, 3_000);
    const after = Date.now() - started;
    assert.ok(after >= 2_000 && after < 2_800, `took over after ${after} ms (lease 2 s, retry 150 ms)`);
    const spec = (await lease(api)).spec;
    assert.equal(spec.holderIdentity, 'b');
    assert.equal(spec.leaseTransitions, 4);
  } finally {
    await b.e.stop();
    await api.stop();
  }
});

test('a leader that cannot renew stops leading within the renew deadline, before its lease runs out', async () => {
  const api = await SandboxApiServer.start({ port: 0 });
  const a = elector(api, 'a');
  try {
    a.e.start();
    await waitFor('a to lead', () => a.e.isLeader, 5_000);
    const renewed = Date.parse((await lease(api)).spec.renewTime ?? '');
    api.faults.failWith(500);
    await waitFor('a to stop leading', () => !a.e.isLeader, 5_000);
    const stoppedAt = Number(a.events.at(-1)?.split(' ')[1]);
    assert.ok(
      stoppedAt - renewed < timing.leaseDurationMs,
      `stopped ${stoppedAt - renewed} ms after its last renewal; the lease lasts ${timing.leaseDurationMs} ms`,
    );
    api.faults.failWith(undefined);
    await waitFor('a to lead again once the API answers', () => a.e.isLeader, 5_000);
    assert.deepEqual(
      a.events.map((e) => e.split(' ')[0]),
      ['start', 'stop', 'start'],
    );
  } finally {
    api.faults.failWith(undefined);
    await a.e.stop();
    await api.stop();
  }
});
