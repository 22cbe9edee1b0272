import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
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
      const proc = new ManagedProcess('kube2sky', 'node', [
        MAIN,
        `--etcd-server=http://kube2sky:${password}@${host}`,
        `--kubecfg-file=${api.kubeconfigPath}`,
        `--healthz-port=${port}`,
      ]);
      procs.push(proc);
      await proc.waitForOutput(/Using API server/);
      return { proc, port };
    };

    const good = await start(PASSWORD);
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${good.port}/readiness`)).status === 200, 20_000);
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
