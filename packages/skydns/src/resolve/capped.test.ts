import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecord, leafLabel } from '@kube-dns-legacy/skymsg';
import dns2 from 'dns2';
import { TYPE } from '../dns-codes.js';
import type { DnsHandler } from '../handler.js';
import { NO_METRICS, type DnsObserver } from '../metrics.js';
import { TreeBuilder, kubeA, testHandler } from '../testing.js';

const { Packet } = dns2;
const SVC = 'svc.cluster.local.';
const WEB = `web.default.${SVC}`;

/**
 * A headless service as kube2sky writes it: one address record per ready endpoint under its hash
 * label (or its hostname), and one SRV record per endpoint under `_tcp/_http` (these sort before
 * hash labels that start with a letter, and before every hostname).
 */
function headless(endpoints: number, named: number): { builder: TreeBuilder; ips: string[] } {
  const builder = new TreeBuilder();
  const ips: string[] = [];
  for (let i = 0; i < endpoints; i++) {
    const ip = `10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    ips.push(ip);
    const label = i < named ? `web-${i}` : leafLabel(encodeRecord(kubeA(ip)));
    builder.leaf(WEB, kubeA(ip), label);
    builder.leaf(`_http._tcp.${WEB}`, { host: `${label}.${WEB}`, port: 80, priority: 10, weight: 10, ttl: 30 }, label);
  }
  return { builder, ips };
}

function query(name: string, type: number, id: number): Buffer {
  const packet = new Packet();
  packet.header.id = id;
  packet.header.rd = 1;
  packet.questions.push(new Packet.Question(name, type, 1));
  return packet.toBuffer();
}

function handler(builder: TreeBuilder, errors: string[]): DnsHandler {
  const observer: DnsObserver = { ...NO_METRICS, error: (cause) => errors.push(cause) };
  return testHandler(builder.tree, { noRec: true, observer });
}

async function ask(h: DnsHandler, name: string, type: number, tcp: boolean, id = 1): Promise<dns2.Packet> {
  const reply = await h.handle(query(name, type, id), tcp, { address: '127.0.0.1', port: 5353 });
  assert.ok(reply, 'a reply');
  return Packet.parse(reply);
}

const tc = (p: dns2.Packet): boolean => p.header.tc === 1;

test('a headless service with 4,948 endpoints: A over TCP counts only addresses, is capped with TC, and leaves no endpoint out every time', async () => {
  // The case of the report: 4,948 ready endpoints, 494 of them with hostnames.
  const { builder, ips } = headless(4948, 494);
  const errors: string[] = [];
  const h = handler(builder, errors);
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const reply = await ask(h, WEB, TYPE.A, true, i + 1);
    const addresses = reply.answers.map((a) => (a as { address: string }).address);
    // Every address that fits in 64 KiB: 4,094 A records of 16 bytes after the header and question.
    assert.ok(addresses.length > 4000, `${addresses.length} addresses over TCP`);
    assert.equal(tc(reply), true, 'a capped answer says so (TC=1)');
    for (const a of addresses) seen.add(a);
  }
  assert.equal(
    errors.filter((e) => e === 'capped').length,
    12,
    'each capped answer counted (not served from the cache)',
  );
  const missing = ips.filter((ip) => !seen.has(ip));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} endpoints never answered in 12 asks`);
  // Over UDP the client is told to retry over TCP; that empty TC reply is the same every time and is cached.
  for (let i = 0; i < 3; i++) {
    const udp = await ask(h, WEB, TYPE.A, false);
    assert.equal(tc(udp), true);
    assert.equal(udp.answers.length, 0);
  }
  assert.equal(errors.filter((e) => e === 'capped').length, 13, 'built once over UDP, then served from the cache');
  // A named endpoint keeps its own name; a small service is not capped.
  const named = await ask(h, `web-7.${WEB}`, TYPE.A, false);
  assert.deepEqual(
    named.answers.map((a) => (a as { address: string }).address),
    [ips[7]],
  );
  assert.equal(tc(named), false);
});

test('SRV of a large headless service: capped with TC, a different run of targets on each ask', async () => {
  const { builder } = headless(4948, 0);
  const errors: string[] = [];
  const h = handler(builder, errors);
  const targets = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const reply = await ask(h, `_http._tcp.${WEB}`, TYPE.SRV, true, i + 1);
    assert.equal(tc(reply), true);
    assert.ok(reply.answers.length > 1000, `${reply.answers.length} SRV records`);
    for (const a of reply.answers) targets.add((a as { target: string }).target);
  }
  assert.ok(targets.size > 4000, `${targets.size} distinct targets over 10 asks`);
  assert.equal(errors.filter((e) => e === 'capped').length, 10);
});

test('a name whose subtree is mostly SRV leaves: every address answers (uncapped, no TC)', async () => {
  // 1,500 endpoints with three named ports: 6,000 keys below the name, 1,500 addresses.
  const builder = new TreeBuilder();
  const ips: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const ip = `10.70.${i >> 8}.${i & 255}`;
    ips.push(ip);
    const label = leafLabel(encodeRecord(kubeA(ip)));
    builder.leaf(WEB, kubeA(ip), label);
    for (const port of ['a', 'b', 'c'])
      builder.leaf(`_${port}._tcp.${WEB}`, { host: `${label}.${WEB}`, port: 80 }, label);
  }
  const errors: string[] = [];
  const h = handler(builder, errors);
  const reply = await ask(h, WEB, TYPE.A, true);
  assert.equal(tc(reply), false);
  assert.deepEqual(reply.answers.map((a) => (a as { address: string }).address).sort(), [...ips].sort());
  assert.deepEqual(errors, []);
});
