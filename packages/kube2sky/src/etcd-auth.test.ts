import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, type ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { startKube2sky, waitReady } from './testing.js';

const PASSWORD = 'Sup3r-s3cret';

test('etcd with auth: credentials in --etcd-server work and never reach the log; a wrong password is reported, redacted', async () => {
  const etcd = await EtcdServer.start();
  const api = await SandboxApiServer.start();
  const procs: ManagedProcess[] = [];
  try {
    await etcd.etcdctl('user', 'add', 'root:rootpw');
    await etcd.etcdctl('role', 'add', 'dns');
    await etcd.etcdctl('role', 'grant-permission', 'dns', '--prefix=true', 'readwrite', '/skydns/');
    await etcd.etcdctl('user', 'add', `kube2sky:${PASSWORD}`);
    await etcd.etcdctl('user', 'grant-role', 'kube2sky', 'dns');
    await etcd.etcdctl('auth', 'enable');
    const host = etcd.endpoint.replace('http://', '');
    const start = async (password: string): Promise<{ proc: ManagedProcess; port: number }> => {
      const port = await freePort();
      const proc = startKube2sky(`http://kube2sky:${password}@${host}`, api.kubeconfigPath, port);
      procs.push(proc);
      await proc.waitForOutput(/Using API server/);
      return { proc, port };
    };

    const good = await start(PASSWORD);
    await waitReady(good.port);
    const records = await etcd.etcdctl(
      '--user=root:rootpw',
      'get',
      '--prefix',
      '--keys-only',
      '/skydns/local/cluster/svc/default/kubernetes/',
    );
    assert.match(records, /\/skydns\/local\/cluster\/svc\/default\/kubernetes\//);
    assert.match(good.proc.output, /"etcd":\["http:\/\/kube2sky:\*\*\*@127\.0\.0\.1:\d+"\]/);

    const wrong = await start('wrong-password');
    await waitFor(
      'the authentication failure logged and /healthz 503',
      async () =>
        /authentication failed/.test(wrong.proc.output) &&
        (await fetch(`http://127.0.0.1:${wrong.port}/healthz`)).status === 503,
      20_000,
    );
    for (const proc of procs) {
      assert.ok(!proc.output.includes(PASSWORD), 'the password is not logged');
      assert.ok(!proc.output.includes('wrong-password'), 'not even a wrong one');
    }
  } finally {
    for (const proc of procs) await proc.stop('SIGKILL');
    await api.stop();
    await etcd.stop();
  }
});
