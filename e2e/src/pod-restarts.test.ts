import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@kube-dns-legacy/testkit';
import { digShort, kubectl, startLocalPod, type LocalPod } from './pod.js';

// Kill each container of the running local pod: the pod restarts it, and names resolve again.

let pod: LocalPod;

before(async () => {
  pod = await startLocalPod();
});

after(async () => {
  await pod?.stop();
});

async function pid(name: string): Promise<number> {
  return Number((await readFile(join(pod.stateDir, `${name}.pid`), 'utf8')).trim());
}

for (const [i, container] of ['kube2sky', 'skydns', 'etcd'].entries()) {
  test(`after kill -9 of ${container} the pod restarts it and names resolve again`, async () => {
    const old = await pid(container);
    process.kill(old, 'SIGKILL');
    const fresh = await waitFor(
      `${container} to be restarted`,
      async () => {
        const p = await pid(container).catch(() => 0);
        return p !== 0 && p !== old ? p : undefined;
      },
      30_000,
    );
    assert.notEqual(fresh, old);
    await waitFor(
      'kubernetes.default to resolve again',
      async () => (await digShort(pod, 'kubernetes.default.svc.cluster.local')).join() === '10.0.0.1' || undefined,
      30_000,
    );
    // And the pipeline works end to end after the restart: a new service reaches DNS.
    const name = `after-${container}`;
    await kubectl(pod, 'create', 'service', 'clusterip', name, `--tcp=${80 + i}:80`);
    const ip = (await kubectl(pod, 'get', 'svc', name, '-o', 'jsonpath={.spec.clusterIP}')).trim();
    await waitFor(
      `${name} in DNS`,
      async () => (await digShort(pod, `${name}.default.svc.cluster.local`)).join() === ip || undefined,
      30_000,
    );
    assert.match(pod.process.output, new RegExp(`\\[local-pod\\] ${container} exited \\(SIGKILL\\); restart 1 in 1s`));
  });
}
