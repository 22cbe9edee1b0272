import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import {
  EtcdCluster,
  ManagedProcess,
  freeDnsPort,
  freePort,
  makeTestCertificates,
  waitFor,
} from '@kube-dns-legacy/testkit';
import { repoRoot } from './pod.js';
import { QTYPE, udpQuery } from './reliability-dns.js';

// Security: one real etcd that requires client certificates (testkit's TLS EtcdCluster), with both
// kube2sky and skydns talking to it over TLS; a client without a certificate, or trusting another CA,
// gets nothing; key files the process cannot read stop it at start with a clear message.

const run = promisify(execFile);
const KUBE2SKY = join(repoRoot, 'packages', 'kube2sky', 'dist', 'main.js');
const SKYDNS = join(repoRoot, 'packages', 'skydns', 'dist', 'main.js');

let dir = '';
let etcd: EtcdCluster;
let endpoint = '';
/** The etcd CA and the client certificate it signed (server and client made by testkit). */
let ca = '';
let client: { readonly cert: string; readonly key: string };
let api: SandboxApiServer;
const procs: ManagedProcess[] = [];

const etcdctl = (...args: string[]): Promise<string> => etcd.etcdctl(args);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kdl-tls-'));
  etcd = await EtcdCluster.start({ size: 1, tls: true });
  endpoint = etcd.endpoint;
  const certificates = etcd.certificates ?? assert.fail('a TLS cluster has certificates');
  ca = certificates.ca;
  client = certificates.leaves['client'] ?? assert.fail('a client certificate');
  // A CA etcd does not trust and a leaf it signed (other-ca.pem, stranger.pem, stranger.key in `dir`).
  await makeTestCertificates(dir, 'other-ca', ['stranger']);
  api = await SandboxApiServer.start({ port: 0 });
});

after(async () => {
  for (const p of procs.reverse()) await p.stop('SIGKILL');
  await api?.stop();
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('kube2sky and skydns both use etcd over TLS with client certificates; a service reaches DNS', async () => {
  const healthz = await freePort();
  const kube2sky = new ManagedProcess('kube2sky', 'node', [
    KUBE2SKY,
    `--etcd-server=${endpoint}`,
    `--etcd-cafile=${ca}`,
    `--etcd-certfile=${client.cert}`,
    `--etcd-keyfile=${client.key}`,
    `--kubecfg-file=${api.kubeconfigPath}`,
    `--healthz-port=${healthz}`,
  ]);
  procs.push(kube2sky);
  await waitFor(
    'kube2sky ready over TLS',
    async () => (await fetch(`http://127.0.0.1:${healthz}/readiness`)).status === 200,
    60_000,
    100,
  ).catch((err: Error) => assert.fail(`${err.message}\n${kube2sky.output}`));
  const dns = await freeDnsPort();
  const skydns = new ManagedProcess('skydns', 'node', [
    SKYDNS,
    `-machines=${endpoint}`,
    `-ca-cert=${ca}`,
    `-tls-pem=${client.cert}`,
    `-tls-key=${client.key}`,
    `-addr=127.0.0.1:${dns}`,
    '-domain=cluster.local.',
    '-no-rec',
  ]);
  procs.push(skydns);
  const res = await fetch(`${api.url}/api/v1/namespaces/default/services`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { name: 'secure' }, spec: { ports: [{ port: 443 }] } }),
  });
  const ip = ((await res.json()) as { spec: { clusterIP: string } }).spec.clusterIP;
  await waitFor(
    'secure.default answered by skydns over a TLS-fed store',
    async () => (await udpQuery(dns, 'secure.default.svc.cluster.local.', QTYPE.A, 500)).answers[0]?.data === ip,
    60_000,
    200,
  ).catch((err: Error) => assert.fail(`${err.message}\n${skydns.output.slice(-2000)}`));
  assert.match(
    await etcdctl('get', '--prefix', '/skydns/local/cluster/svc/default/secure', '--keys-only'),
    /secure\/[0-9a-f]+/,
  );
  assert.equal(await kube2sky.stop('SIGTERM'), 0);
  assert.equal(await skydns.stop('SIGTERM'), 0);
});

test('etcd refuses a client without a certificate; a kube2sky trusting another CA writes nothing and says so', async () => {
  await assert.rejects(
    run(
      'etcdctl',
      [`--endpoints=${endpoint}`, `--cacert=${ca}`, '--dial-timeout=2s', '--command-timeout=3s', 'get', '/probe'],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    ),
    'no client certificate, no answer',
  );
  await etcdctl('del', '--prefix', '/skydns/');
  const healthz = await freePort();
  const kube2sky = new ManagedProcess('kube2sky', 'node', [
    KUBE2SKY,
    `--etcd-server=${endpoint}`,
    `--etcd-cafile=${join(dir, 'other-ca.pem')}`,
    `--etcd-certfile=${join(dir, 'stranger.pem')}`,
    `--etcd-keyfile=${join(dir, 'stranger.key')}`,
    `--kubecfg-file=${api.kubeconfigPath}`,
    `--healthz-port=${healthz}`,
    '--etcd-mutation-timeout=2s',
  ]);
  procs.push(kube2sky);
  await waitFor(
    'kube2sky /healthz to show etcd failing',
    async () => {
      const r = await fetch(`http://127.0.0.1:${healthz}/healthz`);
      return r.status === 503 && ((await r.json()) as { checks: Record<string, boolean> }).checks['etcd'] === false;
    },
    60_000,
    200,
  ).catch((err: Error) => assert.fail(`${err.message}\n${kube2sky.output.slice(-2000)}`));
  assert.equal(
    (await etcdctl('get', '--prefix', '/skydns/', '--keys-only')).trim(),
    '',
    'nothing written through an untrusted connection',
  );
  assert.notEqual((await fetch(`http://127.0.0.1:${healthz}/readiness`)).status, 200);
  assert.ok(kube2sky.alive, 'kube2sky keeps retrying instead of crashing');
  await kube2sky.stop('SIGTERM');
});

test('key files the process cannot read (mode 000, run as nobody) stop kube2sky and skydns at start with a clear message', async () => {
  // As root every file is readable, so the processes run as nobody here.
  const locked = join(dir, 'locked');
  await mkdir(locked);
  await chmod(dir, 0o755);
  await chmod(locked, 0o755);
  await writeFile(join(locked, 'ca.pem'), await readFile(ca));
  await writeFile(join(locked, 'client.pem'), await readFile(client.cert));
  await writeFile(join(locked, 'client.key'), await readFile(client.key));
  await chmod(join(locked, 'ca.pem'), 0o644);
  await chmod(join(locked, 'client.pem'), 0o644);
  await chmod(join(locked, 'client.key'), 0o000);
  const asNobody = (args: string[]): Promise<{ code: number | null; output: string }> =>
    new Promise((resolve) => {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: '/',
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  const key = join(locked, 'client.key');
  const results = await Promise.all([
    asNobody([
      KUBE2SKY,
      `--etcd-server=${endpoint}`,
      `--etcd-cafile=${join(locked, 'ca.pem')}`,
      `--etcd-certfile=${join(locked, 'client.pem')}`,
      `--etcd-keyfile=${key}`,
      '--kube-master-url=http://127.0.0.1:1',
      '--healthz-port=0',
    ]),
    asNobody([
      SKYDNS,
      `-machines=${endpoint}`,
      `-ca-cert=${join(locked, 'ca.pem')}`,
      `-tls-pem=${join(locked, 'client.pem')}`,
      `-tls-key=${key}`,
      `-addr=127.0.0.1:${await freeDnsPort()}`,
      '-domain=cluster.local.',
    ]),
  ]);
  for (const [i, { code, output }] of results.entries()) {
    const name = i === 0 ? 'kube2sky' : 'skydns';
    assert.notEqual(code, 0, `${name} exit status; output:\n${output}`);
    assert.notEqual(code, null, `${name} ended by itself`);
    assert.match(output, /client\.key/, `${name} names the file`);
    assert.match(output, /EACCES|permission denied|cannot read/i, `${name} says why`);
    assert.doesNotMatch(output, /^\s+at /m, `${name}: no stack trace`);
  }
});
