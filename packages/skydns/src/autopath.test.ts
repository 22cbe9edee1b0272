import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig, requireTool, type ManagedProcess } from '@kube-dns-legacy/testkit';
import type { DnsServer } from './server.js';
import { TreeBuilder, kubeA, serveHandler, startDnsmasq, testHandler } from './testing.js';

// Autopath with pods on several loopback addresses (dig -b), the pod records as kube2sky writes
// them, and dnsmasq as the upstream for bare names.

const dir = mkdtempSync(join(tmpdir(), 'skydns-autopath-'));
let upstream: ManagedProcess;
const servers: DnsServer[] = [];
const ports: { on: number; off: number } = { on: 0, off: 0 };

before(async () => {
  requireTool('dig');
  const up = await startDnsmasq(dir, 'example.org', [['198.51.100.1', 'www.example.org']]);
  upstream = up.process;
  const b = new TreeBuilder();
  b.leaf('web.default.svc.cluster.local.', kubeA('10.0.0.5'));
  b.leaf('db.other.svc.cluster.local.', kubeA('10.0.0.7'));
  b.leaf('thing.cluster.local.', kubeA('10.0.0.9'));
  b.leaf('127-0-0-5.default.pod.cluster.local.', kubeA('127.0.0.5'));
  b.leaf('127-0-0-6.team.pod.cluster.local.', kubeA('127.0.0.6'));
  // One address held by pods in two namespaces (host network): no autopath for it.
  b.leaf('127-0-0-7.a.pod.cluster.local.', kubeA('127.0.0.7'));
  b.leaf('127-0-0-7.b.pod.cluster.local.', kubeA('127.0.0.7'));
  for (const autopath of [true, false]) {
    const handler = testHandler(b.tree, {
      forward: { servers: [{ host: '127.0.0.1', port: up.port }], rotate: false, timeoutMs: 1000 },
      roundRobin: false,
      autopath,
    });
    const server = await serveHandler(handler);
    servers.push(server);
    ports[autopath ? 'on' : 'off'] = server.port;
  }
});

after(async () => {
  for (const s of servers) await s.close();
  await upstream?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (from: string, name: string, ...args: string[]) => dig(ports.on, '-b', from, ...args, name, 'A');

test('autopath: the pod search path in one question, a CNAME to the name found and its records', async () => {
  // No pod at this address: plain NXDOMAIN (and now in the answer cache).
  assert.equal((await ask('127.0.0.8', 'db.other.default.svc.cluster.local')).status, 'NXDOMAIN');
  // <ns>.svc.<domain> itself exists: answered as it is.
  assert.deepEqual((await ask('127.0.0.5', 'web.default.svc.cluster.local')).answer, [
    'web.default.svc.cluster.local. 30 IN A 10.0.0.5',
  ]);
  // svc.<domain>: another namespace's service.
  assert.deepEqual((await ask('127.0.0.5', 'db.other.default.svc.cluster.local')).answer, [
    'db.other.default.svc.cluster.local. 30 IN CNAME db.other.svc.cluster.local.',
    'db.other.svc.cluster.local. 30 IN A 10.0.0.7',
  ]);
  // <domain>, over TCP.
  assert.deepEqual((await ask('127.0.0.5', 'thing.default.svc.cluster.local', '+tcp')).answer, [
    'thing.default.svc.cluster.local. 30 IN CNAME thing.cluster.local.',
    'thing.cluster.local. 30 IN A 10.0.0.9',
  ]);
  // The bare name, forwarded.
  const bare = await ask('127.0.0.5', 'www.example.org.default.svc.cluster.local');
  assert.deepEqual(bare.answer, [
    'www.example.org.default.svc.cluster.local. 30 IN CNAME www.example.org.',
    'www.example.org. 30 IN A 198.51.100.1',
  ]);
  assert.ok(!bare.flags.includes('aa'));
  // The bare name exists upstream without records of the type asked (NODATA): the CNAME to it and
  // NOERROR, as CoreDNS's autopath takes any reply but NXDOMAIN; not an NXDOMAIN that sends the
  // resolver down the rest of the search path for AAAA while A found the name.
  const nodata = await dig(ports.on, '-b', '127.0.0.5', 'www.example.org.default.svc.cluster.local', 'AAAA');
  assert.equal(nodata.status, 'NOERROR');
  assert.deepEqual(nodata.answer, ['www.example.org.default.svc.cluster.local. 60 IN CNAME www.example.org.']);
  // Nothing anywhere: the original NXDOMAIN.
  assert.equal((await ask('127.0.0.5', 'nosuch.example.org.default.svc.cluster.local')).status, 'NXDOMAIN');
  // Another namespace's search domain, an ambiguous address: no autopath.
  assert.equal((await ask('127.0.0.6', 'db.other.default.svc.cluster.local')).status, 'NXDOMAIN');
  assert.deepEqual((await ask('127.0.0.6', 'db.other.team.svc.cluster.local')).answer, [
    'db.other.team.svc.cluster.local. 30 IN CNAME db.other.svc.cluster.local.',
    'db.other.svc.cluster.local. 30 IN A 10.0.0.7',
  ]);
  assert.equal((await ask('127.0.0.7', 'db.other.a.svc.cluster.local')).status, 'NXDOMAIN');
  // Off (the default): NXDOMAIN, as before.
  const off = await dig(ports.off, '-b', '127.0.0.5', 'db.other.default.svc.cluster.local', 'A');
  assert.equal(off.status, 'NXDOMAIN');
});
