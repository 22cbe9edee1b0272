import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@kube-dns-legacy/testkit';
import { createService, startInCluster, waitReady } from './reliability-credentials.js';

// In-cluster credentials as a pod has them (service account files, https, a bearer token): kube2sky
// verifies the API server against the CA bundle (no insecure default) and authenticates with the
// token. Token rotation takes over a minute and runs in `npm run soak`.

const run = promisify(execFile);

test('in-cluster: the service account token and CA bundle are used; a CA that did not sign the server is refused', async () => {
  const good = await startInCluster(['sa-token']);
  try {
    await waitReady(good);
    await createService(good, 'in-cluster', 'sa-token');
    await waitFor(
      'the service in etcd',
      async () => (await good.etcd.dump('/skydns/local/cluster/svc/default/in-cluster/')).size > 0,
      30_000,
      200,
    );
  } finally {
    await good.stop();
  }

  const dir = await mkdtemp(join(tmpdir(), 'kdl-ca-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'k'),
      '-out',
      join(dir, 'ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=not-the-sandbox-ca',
    ]);
    const foreign = await startInCluster(['sa-token'], await readFile(join(dir, 'ca.pem'), 'utf8'));
    try {
      await waitFor(
        'kube2sky to report the API unreachable',
        () => /certificate|self.signed|unable to verify|UNABLE_TO_VERIFY|DEPTH_ZERO/i.test(foreign.kube2sky.output),
        60_000,
        200,
      ).catch((err: Error) => assert.fail(`${err.message}\n${foreign.kube2sky.output.slice(-3000)}`));
      assert.notEqual(
        (await fetch(`http://127.0.0.1:${foreign.healthzPort}/readiness`)).status,
        200,
        'never ready against an unverified server',
      );
      assert.equal((await foreign.etcd.dump('/skydns/')).size, 0, 'nothing written from an unverified server');
      assert.ok(foreign.kube2sky.alive, 'kube2sky keeps retrying');
    } finally {
      await foreign.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
