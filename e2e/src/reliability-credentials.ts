import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, ManagedProcess, freePort, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot } from './pod.js';

// kube2sky with in-cluster credentials, as in a pod: the service account files appear at
// /var/run/secrets/kubernetes.io/serviceaccount inside a private mount namespace (a tmpfs over /run
// that only this process sees, with the sandbox's files bound there), against the sandbox on https
// with required bearer tokens.

const KUBE2SKY = join(repoRoot, 'packages', 'kube2sky', 'dist', 'main.js');

/** An in-cluster kube2sky, its sandbox (https, tokens), etcd and the service account directory. */
export interface InCluster {
  readonly api: SandboxApiServer;
  readonly etcd: EtcdServer;
  readonly kube2sky: ManagedProcess;
  readonly healthzPort: number;
  /** The directory bound at /var/run/secrets/kubernetes.io/serviceaccount. */
  readonly accountDir: string;
  stop(): Promise<void>;
}

/** Start it all; `foreignCa` replaces the CA bundle by one that did not sign the server's certificate. */
export async function startInCluster(tokens: readonly string[], foreignCa?: string): Promise<InCluster> {
  requireTool('unshare');
  const root = await mkdtemp(join(tmpdir(), 'kdl-sa-'));
  const api = await SandboxApiServer.start({ port: 0, tls: true, tokens });
  const etcd = await EtcdServer.start();
  const account = api.writeServiceAccount(root);
  if (foreignCa !== undefined) await writeFile(join(account.dir, 'ca.crt'), foreignCa);
  const healthzPort = await freePort();
  const script =
    'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && mount --bind "$0" /run/secrets/kubernetes.io/serviceaccount && exec "$@"';
  const kube2sky = new ManagedProcess(
    'kube2sky (in-cluster)',
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      account.dir,
      process.execPath,
      KUBE2SKY,
      `--etcd-server=${etcd.endpoint}`,
      `--healthz-port=${healthzPort}`,
    ],
    {
      env: { PATH: process.env['PATH'], ...account.env },
    },
  );
  return {
    api,
    etcd,
    kube2sky,
    healthzPort,
    accountDir: account.dir,
    async stop(): Promise<void> {
      await kube2sky.stop();
      await etcd.stop();
      await api.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Wait until kube2sky's /readiness answers 200. */
export async function waitReady(c: InCluster, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    'in-cluster kube2sky /readiness 200',
    async () => {
      if (!c.kube2sky.alive) throw new Error(`kube2sky exited: ${c.kube2sky.output}`);
      return (await fetch(`http://127.0.0.1:${c.healthzPort}/readiness`)).status === 200;
    },
    timeoutMs,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${c.kube2sky.output.slice(-3000)}`);
  });
}

/** Create a ClusterIP service through the sandbox over https (trusting the sandbox's CA), with `token`. */
export async function createService(c: InCluster, name: string, token: string): Promise<void> {
  const ca = await readFile(c.api.caPath ?? '');
  const body = JSON.stringify({ metadata: { name }, spec: { ports: [{ port: 80 }] } });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${c.api.url}/api/v1/namespaces/default/services`,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 201) throw new Error(`creating ${name}: HTTP ${status}`);
}

/**
 * Token rotation (about 100 s: kube2sky re-reads the token file every minute): both tokens are
 * accepted while the file changes, then only the new one; a service created after that must still
 * reach etcd. Returns the figures and every requirement missed.
 */
export async function runTokenRotation(): Promise<{ figures: Record<string, unknown>; problems: string[] }> {
  const c = await startInCluster(['token-1']);
  const problems: string[] = [];
  try {
    await waitReady(c);
    c.api.setTokens(['token-1', 'token-2']);
    await writeFile(join(c.accountDir, 'token'), 'token-2');
    const rotated = Date.now();
    await new Promise((r) => setTimeout(r, 70_000));
    c.api.setTokens(['token-2']);
    // Open watches were authenticated with the old token: drop them, so kube2sky must list and watch again with what it holds now.
    c.api.faults.dropWatches();
    await createService(c, 'after-rotation', 'token-2');
    const key = '/skydns/local/cluster/svc/default/after-rotation/';
    const seen = await waitFor(
      'the service created after the rotation in etcd',
      async () => (await c.etcd.dump(key)).size > 0,
      60_000,
      500,
    ).then(
      () => Date.now() - rotated,
      () => undefined,
    );
    if (seen === undefined)
      problems.push(`after the token rotation kube2sky stopped syncing:\n${c.kube2sky.output.slice(-2000)}`);
    if (!c.kube2sky.alive) problems.push('kube2sky died');
    return { figures: { syncedAfterRotationMs: seen }, problems };
  } finally {
    await c.stop();
  }
}
