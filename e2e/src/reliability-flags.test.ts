import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './pod.js';

// Bad flags and configuration for every executable: a clear one-line reason, a non-zero exit at
// start (within seconds, before serving anything), and never a stack trace.

const BIN: Readonly<Record<string, string>> = {
  kube2sky: join(repoRoot, 'packages', 'kube2sky', 'dist', 'main.js'),
  skydns: join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'),
  exechealthz: join(repoRoot, 'packages', 'exechealthz', 'dist', 'main.js'),
  'sandbox-apiserver': join(repoRoot, 'packages', 'sandbox-apiserver', 'dist', 'main.js'),
  'kube-dns-pod': join(repoRoot, 'packages', 'local-pod', 'dist', 'main.js'),
};

/** Run an executable to its end (killed after 30 s); resolves with its exit status and stderr+stdout. */
function run(bin: string, args: readonly string[]): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', output });
    });
  });
}

const STACK = /^\s+at .+(\(|:\d+:\d+)|node:internal|TypeError|ReferenceError|Uncaught/m;

let dir = '';

/** Cases: executable, arguments, and what the message must mention. */
function cases(): [string, string[], RegExp][] {
  const directory = dir;
  const missing = join(dir, 'missing.pem');
  const garbage = join(dir, 'garbage.pem');
  return [
    ['kube2sky', ['--bogus-flag'], /bogus-flag/],
    ['kube2sky', ['--etcd-mutation-timeout=soon'], /etcd-mutation-timeout|duration/],
    ['kube2sky', ['--healthz-port=99999'], /healthz-port|port/],
    ['kube2sky', ['--etcd-server=ftp://127.0.0.1:1'], /etcd-server|scheme|http/],
    ['kube2sky', ['--kube-master-url=not a url'], /kube-master-url|URL|url/],
    ['kube2sky', [`--kubecfg-file=${missing}`], /missing\.pem|kubecfg/],
    ['kube2sky', [`--kubecfg-file=${garbage}`, '--healthz-port=0'], /garbage\.pem|kubecfg|kubeconfig/],
    [
      'kube2sky',
      [
        '--kube-master-url=http://127.0.0.1:1',
        `--etcd-cafile=${missing}`,
        `--etcd-certfile=${missing}`,
        `--etcd-keyfile=${missing}`,
      ],
      /missing\.pem/,
    ],
    [
      'kube2sky',
      ['--kube-master-url=http://127.0.0.1:1', `--etcd-cafile=${directory}`],
      /etcd-cafile|directory|EISDIR|read/i,
    ],
    ['kube2sky', ['--pod-records=sometimes'], /pod-records/],
    ['skydns', ['-bogus-flag'], /bogus-flag/],
    ['skydns', ['-addr=nowhere'], /addr/],
    ['skydns', ['-rtimeout=soon'], /rtimeout|duration/],
    ['skydns', ['-dnssec=example.org'], /dnssec/],
    ['skydns', ['-systemd'], /systemd/],
    ['skydns', ['-udp-size=huge'], /udp-size/],
    [
      'skydns',
      ['-machines=http://127.0.0.1:1', `-ca-cert=${missing}`, `-tls-pem=${missing}`, `-tls-key=${missing}`],
      /missing\.pem/,
    ],
    ['skydns', ['-machines=http://127.0.0.1:1', `-ca-cert=${directory}`], /ca-cert|directory|EISDIR|read/i],
    ['exechealthz', ['--bogus-flag'], /bogus-flag/],
    ['exechealthz', ['--period=often'], /period|duration/],
    ['exechealthz', ['--port=eighty'], /port/],
    ['sandbox-apiserver', ['--bogus-flag'], /bogus-flag/],
    ['sandbox-apiserver', ['--service-cidr=10.0.0.0/99'], /service-cidr|CIDR|cidr/],
    ['sandbox-apiserver', ['--port=eighty'], /port/],
    ['kube-dns-pod', ['--bogus-flag'], /bogus-flag/],
    ['kube-dns-pod', [`--manifest=${missing}`], /missing\.pem|manifest/],
    ['kube-dns-pod', [`--manifest=${garbage}`], /garbage\.pem|manifest/],
  ];
}

test('every executable refuses bad flags and configuration with a clear message, a non-zero exit and no stack trace', async () => {
  dir = await mkdtemp(join(tmpdir(), 'kdl-flags-'));
  try {
    await writeFile(join(dir, 'garbage.pem'), 'this is not { yaml: or a certificate\n\t- [');
    const problems: string[] = [];
    const all = cases();
    for (let i = 0; i < all.length; i += 2) {
      await Promise.all(
        all.slice(i, i + 2).map(async ([name, args, mention]) => {
          const { code, output } = await run(BIN[name] ?? '', args);
          const what = `${name} ${args.join(' ')}`;
          if (code === 0 || typeof code === 'string') problems.push(`${what}: exit ${code}`);
          if (STACK.test(output)) problems.push(`${what}: stack trace:\n${output.slice(0, 1500)}`);
          if (!mention.test(output))
            problems.push(`${what}: message does not mention ${mention}:\n${output.slice(0, 600)}`);
          if (output.trim().split('\n').length > 40)
            problems.push(`${what}: ${output.split('\n').length} lines of output`);
        }),
      );
    }
    assert.deepEqual(problems, [], problems.join('\n\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
