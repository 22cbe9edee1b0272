import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

test('kube-dns-pod --version prints the version and exits 0 without starting anything', async () => {
  const { stdout } = await run(process.execPath, [MAIN, '--version']);
  assert.match(stdout, /^kube-dns-pod version: \d+\.\d+\.\d+ \(kube-dns-legacy\)\n$/);
});
