import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import * as slimGen from './slim-gen.js';

const SLIM_CLIENT = new URL('../dist/slim-client.js', import.meta.url).href;
const CONFIG_MODULE = createRequire(import.meta.url).resolve('@kubernetes/client-node/dist/config.js');

test("the slim barrel exports exactly what client-node's KubeConfig module imports from its generated code", async () => {
  const source = await readFile(CONFIG_MODULE, 'utf8');
  const imports = [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/g)];
  assert.equal(
    imports.length,
    1,
    'config.js imports ./gen/index.js once (a client-node upgrade changed it: check slim-gen.ts)',
  );
  const names = (imports[0]?.[1] ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
    .sort();
  assert.deepEqual(names, Object.keys(slimGen).sort());
  for (const name of names) assert.equal(typeof (slimGen as Record<string, unknown>)[name], 'function', name);
});

test('with the hook, KubeConfig and Watch load and work without the generated API code (a much smaller heap)', async () => {
  // A child process: configure from a kubeconfig and build request options as kube2sky does; print the heap after GC.
  const script = (slim: boolean): string => `
    ${slim ? `(await import(${JSON.stringify(SLIM_CLIENT)})).slimClientNode();` : ''}
    const { KubeConfig } = await import(${JSON.stringify(CONFIG_MODULE)});
    await import(${JSON.stringify(CONFIG_MODULE.replace(/config\.js$/, 'watch.js'))});
    const kc = new KubeConfig();
    kc.loadFromString('apiVersion: v1\\nkind: Config\\nclusters: [{name: c, cluster: {server: "https://k:6443", insecure-skip-tls-verify: true}}]\\nusers: [{name: u, user: {token: t0k}}]\\ncontexts: [{name: x, context: {cluster: c, user: u}}]\\ncurrent-context: x\\n');
    const opts = {};
    await kc.applyToHTTPSOptions(opts);
    globalThis.gc();
    console.log(JSON.stringify({ heap: process.memoryUsage().heapUsed, auth: opts.headers.Authorization, agent: opts.agent.constructor.name }));`;
  const run = async (slim: boolean): Promise<{ heap: number; auth: string; agent: string }> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script(slim)],
      { cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    return JSON.parse(stdout) as { heap: number; auth: string; agent: string };
  };
  const [slim, full] = await Promise.all([run(true), run(false)]);
  assert.deepEqual({ auth: slim.auth, agent: slim.agent }, { auth: 'Bearer t0k', agent: 'Agent' });
  assert.deepEqual({ auth: full.auth, agent: full.agent }, { auth: slim.auth, agent: slim.agent });
  const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
  assert.ok(slim.heap * 2 < full.heap, `heap with the hook ${mib(slim.heap)}, without ${mib(full.heap)}`);
});
