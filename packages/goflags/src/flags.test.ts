import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeGoFlags } from './flags.js';

test('Go spellings become what yargs reads', () => {
  const manifest = '-machines=http://127.0.0.1:4001 -addr=0.0.0.0:53 -ns-rotate=false -domain=cluster.local.'.split(
    ' ',
  );
  assert.deepEqual(normalizeGoFlags(manifest).args, [
    '--machines=http://127.0.0.1:4001',
    '--addr=0.0.0.0:53',
    '--ns-rotate=false',
    '--domain=cluster.local.',
  ]);
  assert.deepEqual(normalizeGoFlags(['--domain', 'a.b', '-h', '-v=2', 'stray', '-1']).args, [
    '--domain',
    'a.b',
    '-h',
    '-v=2',
    'stray',
    '-1',
  ]);
  assert.deepEqual(normalizeGoFlags(['-cmd=', '--x=a=b']).args, ['--cmd=', '--x=a=b']);
});

test('underscores become dashes and are reported', () => {
  const out = normalizeGoFlags(['-kube_master_url=http://a', '--etcd_server', 'http://b', '--log-level=info']);
  assert.deepEqual(out.args, ['--kube-master-url=http://a', '--etcd-server', 'http://b', '--log-level=info']);
  assert.deepEqual(out.renamed, [
    { from: '-kube_master_url', to: '--kube-master-url' },
    { from: '--etcd_server', to: '--etcd-server' },
  ]);
});

test('value flags take the next argument whatever it looks like, as Go does', () => {
  const valueFlags = new Set(['cmd', 'log-level']);
  assert.deepEqual(normalizeGoFlags(['-cmd', '-x --y', '-log_level', 'debug', '-port', '8080'], { valueFlags }).args, [
    '--cmd=-x --y',
    '--log-level=debug',
    '--port',
    '8080',
  ]);
  assert.throws(() => normalizeGoFlags(['-cmd'], { valueFlags }), /flag needs an argument: -cmd/);
});

test('everything after -- is left alone', () => {
  assert.deepEqual(normalizeGoFlags(['-name=1', '--', '-b_c', '--d']).args, ['--name=1', '--', '-b_c', '--d']);
});
