import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, ManagedProcess } from '@kube-dns-legacy/testkit';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const run = promisify(execFile);

describe('the sandbox-apiserver executable', () => {
  it('explains its flags with --help and says its version with --version', async () => {
    const { stdout: version } = await run(process.execPath, [MAIN, '--version']);
    assert.match(version, /^sandbox-apiserver version: \d+\.\d+\.\d+ \(kube-dns-legacy\)\n$/);
    const { stdout } = await run(process.execPath, [MAIN, '--help']);
    for (const flag of ['--port', '--kubeconfig', '--service-cidr', '--no-endpoint-slices', '--log-level'])
      assert.ok(stdout.includes(flag.replace('--no-', '--')), `--help mentions ${flag}`);
  });

  it('serves on the given port, writes the kubeconfig, honours single-dash flags and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const port = await freePort();
    const kubeconfig = join(dir, 'kubeconfig');
    const proc = new ManagedProcess('sandbox-apiserver', process.execPath, [
      MAIN,
      `-port=${port}`,
      '--kubeconfig',
      kubeconfig,
      '--service-cidr',
      '10.100.0.0/16',
      '--no-endpoint-slices',
    ]);
    try {
      await proc.waitForOutput(/kubeconfig: /);
      assert.match(proc.output, new RegExp(`url: http://127\\.0\\.0\\.1:${port}`));
      assert.match(proc.output, /"level":"info","message":"sandbox API server listening"/);
      assert.match(readFileSync(kubeconfig, 'utf8'), new RegExp(`server: http://127\\.0\\.0\\.1:${port}`));
      const svc = (await (
        await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/services/kubernetes`)
      ).json()) as { spec: { clusterIP: string } };
      assert.equal(svc.spec.clusterIP, '10.100.0.1');
      assert.equal((await fetch(`http://127.0.0.1:${port}/apis/discovery.k8s.io/v1`)).status, 404);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), 'ok');
      assert.equal(await proc.stop('SIGTERM'), 0);
    } finally {
      await proc.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no temporary files behind when given --kubeconfig, even when killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const privateTmp = join(dir, 'tmp');
    mkdirSync(privateTmp);
    const proc = new ManagedProcess(
      'sandbox-apiserver',
      process.execPath,
      [MAIN, '--kubeconfig', join(dir, 'kubeconfig')],
      { env: { ...process.env, TMPDIR: privateTmp } },
    );
    try {
      await proc.waitForOutput(/kubeconfig: /);
      await proc.stop('SIGKILL');
      assert.deepEqual(readdirSync(privateTmp), []);
    } finally {
      await proc.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad service CIDR with a clear message and exit code 1', async () => {
    await assert.rejects(
      run(process.execPath, [MAIN, '--service-cidr', '10.0.0.0']),
      (err: { code?: number; stdout?: string; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.match(`${err.stdout ?? ''}${err.stderr ?? ''}`, /invalid service CIDR \\?"10\.0\.0\.0\\?"/);
        return true;
      },
    );
  });

  it('takes a dual-stack --service-cidr (IPv4,IPv6) and refuses two ranges of one family', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const proc = new ManagedProcess('sandbox-apiserver', process.execPath, [
      MAIN,
      '--port',
      String(port),
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--service-cidr',
      '10.0.0.0/24,fd00:10::/108',
    ]);
    try {
      await proc.waitForOutput(/kubeconfig: /);
      assert.match(proc.output, /"serviceCidr":"10\.0\.0\.0\/24,fd00:10::\/108"/);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/services`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          metadata: { name: 'dual' },
          spec: { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] },
        }),
      });
      const svc = (await res.json()) as { spec: { clusterIPs: string[]; ipFamilies: string[] } };
      assert.deepEqual(
        [res.status, svc.spec.clusterIPs, svc.spec.ipFamilies],
        [201, ['10.0.0.2', 'fd00:10::1'], ['IPv4', 'IPv6']],
      );
      assert.equal(await proc.stop('SIGTERM'), 0);
    } finally {
      await proc.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(
      run(process.execPath, [MAIN, '--service-cidr', '10.0.0.0/24,10.1.0.0/24']),
      (err: { code?: number; stdout?: string; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.match(`${err.stdout ?? ''}${err.stderr ?? ''}`, /needs one IPv4 and one IPv6 CIDR/);
        return true;
      },
    );
  });

  it('refuses out-of-range flags before starting', async () => {
    const cases = [
      [['--port', '70000'], /--port must be 0-65535/],
      [['--history', '0'], /--history must be a positive integer/],
      [['--bogus'], /Unknown argument: bogus/],
    ] as const;
    await Promise.all(
      cases.map(async ([flag, message]) => {
        await assert.rejects(run(process.execPath, [MAIN, ...flag]), (err: { code?: number; stderr?: string }) => {
          assert.equal(err.code, 1);
          assert.match(err.stderr ?? '', message);
          return true;
        });
      }),
    );
  });
});
