import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgsError, parseExechealthzArgs, type ExechealthzConfig } from './args.js';

function config(argv: string[], env: Record<string, string> = {}): ExechealthzConfig {
  const parsed = parseExechealthzArgs(argv, env);
  assert.equal(parsed.help, false);
  if (parsed.help) throw new Error('unreachable');
  return parsed.config;
}

test('defaults match the original exechealthz', () => {
  assert.deepEqual(config([]), {
    cmd: 'echo healthz',
    port: 8080,
    bindAddress: '0.0.0.0',
    periodMs: 2_000,
    latencyMs: 30_000,
    verbose: false,
    logLevel: 'info',
  });
});

test('the kube-dns manifest args parse (single dash, value with spaces and a redirect)', () => {
  const c = config(['-cmd=nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null', '-port=8080']);
  assert.equal(c.cmd, 'nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null');
  assert.equal(c.port, 8080);
});

test('single-dash, double-dash, separate values and underscores all work', () => {
  const spellings: string[][] = [
    ['-cmd=true', '-port=9000', '-period=500ms', '-latency=1m'],
    ['--cmd=true', '--port=9000', '--period=500ms', '--latency=1m'],
    ['-cmd', 'true', '-port', '9000', '-period', '500ms', '-latency', '1m'],
    ['--cmd', 'true', '--port', '9000', '--period', '500ms', '--latency', '1m'],
  ];
  for (const argv of spellings) {
    const c = config(argv);
    assert.deepEqual([c.cmd, c.port, c.periodMs, c.latencyMs], ['true', 9000, 500, 60_000], argv.join(' '));
  }
  assert.equal(config(['-log_level=debug']).logLevel, 'debug');
  assert.equal(config(['-verbose']).verbose, true);
  assert.equal(config(['-verbose=false']).verbose, false);
});

test('-bind-address: every interface by default (probes), any IP address, EXECHEALTHZ_BIND_ADDRESS', () => {
  assert.equal(config(['-bind-address=127.0.0.1']).bindAddress, '127.0.0.1');
  assert.equal(config(['-bind-address', '::1']).bindAddress, '::1');
  assert.equal(config([], { EXECHEALTHZ_BIND_ADDRESS: '127.0.0.1' }).bindAddress, '127.0.0.1');
  assert.throws(() => config(['-bind-address=localhost']), /invalid -bind-address "localhost": expected an IP address/);
});

test('a value that starts with a dash is taken whole after a value flag', () => {
  assert.equal(config(['-cmd', '-x']).cmd, '-x');
  assert.equal(config(['-cmd=ls -l /tmp']).cmd, 'ls -l /tmp');
});

test('environment supplies defaults, flags win', () => {
  const env = {
    EXECHEALTHZ_CMD: 'false',
    EXECHEALTHZ_PORT: '9001',
    EXECHEALTHZ_PERIOD: '1s',
    EXECHEALTHZ_VERBOSE: 'true',
  };
  const fromEnv = config([], env);
  assert.deepEqual([fromEnv.cmd, fromEnv.port, fromEnv.periodMs, fromEnv.verbose], ['false', 9001, 1_000, true]);
  assert.equal(config(['-port=9002'], env).port, 9002);
});

test('bad input gets a clear error', () => {
  const cases: Array<[string[], RegExp]> = [
    [['-port=http'], /invalid -port "http"/],
    [['-port=70000'], /invalid -port "70000"/],
    [['-period=2'], /invalid -period: invalid duration "2"/],
    [['-period=0s'], /invalid -period "0s": must be positive/],
    [['-latency=-5s'], /invalid -latency "-5s": must be positive/],
    [['-cmd='], /-cmd must not be empty/],
    [['-cmd'], /flag needs an argument: -cmd/],
    [['-bogus=1'], /Unknown argument: bogus/],
    [['stray'], /Unknown argument: stray/],
    [['-log-level=loud'], /Invalid values/],
  ];
  for (const [argv, pattern] of cases) {
    assert.throws(
      () => parseExechealthzArgs(argv, {}),
      (err: unknown) => err instanceof ArgsError && pattern.test(err.message),
      argv.join(' '),
    );
  }
  assert.throws(() => parseExechealthzArgs([], { EXECHEALTHZ_VERBOSE: 'maybe' }), /EXECHEALTHZ_VERBOSE/);
});

test('--help and -h return the usage text', () => {
  for (const flag of ['--help', '-h', '-help']) {
    const parsed = parseExechealthzArgs([flag], {});
    assert.equal(parsed.help, true, flag);
    if (!parsed.help) continue;
    assert.match(parsed.usage, /Usage: exechealthz/);
    for (const name of ['--cmd', '--port', '--period', '--latency', 'EXECHEALTHZ_CMD', '/healthz'])
      assert.ok(parsed.usage.includes(name), name);
  }
});
