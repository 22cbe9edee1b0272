import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { bare, type Resolution } from './answer.js';
import { encodeReply, type ReplyShape } from './encode.js';
import type { Rr } from './rr.js';

const shape = (overrides: Partial<ReplyShape> = {}): ReplyShape => ({
  id: 99,
  rd: true,
  cd: false,
  name: 'web.default.svc.cluster.local.',
  type: 33,
  qclass: 1,
  limit: 1232,
  tcp: false,
  opt: { udpSize: 1232, do: true },
  ...overrides,
});

const resolution = (answer: Rr[], authority: Rr[] = [], additional: Rr[] = []): Resolution => ({ ...bare('NOERROR', true, true), answer, authority, additional });

test('every record type round-trips through dns2 with compression and the OPT last', () => {
  const q = 'web.default.svc.cluster.local.';
  const res = resolution(
    [
      { name: q, ttl: 30, type: 'CNAME', target: 'x.web.default.svc.cluster.local.' },
      { name: q, ttl: 30, type: 'SRV', priority: 10, weight: 50, port: 8080, target: 'web-0.web.default.svc.cluster.local.' },
      { name: q, ttl: 30, type: 'MX', preference: 10, target: 'mail.example.org.' },
      { name: q, ttl: 30, type: 'TXT', texts: ['a'.repeat(255), 'b'] },
      { name: q, ttl: 30, type: 'NS', target: 'ns1.ns.dns.cluster.local.' },
      { name: '1.0.0.10.in-addr.arpa.', ttl: 30, type: 'PTR', target: 'kubernetes.default.svc.cluster.local.' },
    ],
    [{ name: 'cluster.local.', ttl: 60, type: 'SOA', mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 60 }],
    [
      { name: 'web-0.web.default.svc.cluster.local.', ttl: 30, type: 'A', address: '10.244.1.5' },
      { name: 'web-0.web.default.svc.cluster.local.', ttl: 30, type: 'AAAA', address: '::ffff:10.0.0.1' },
    ],
  );
  const { buffer, truncated } = encodeReply(shape(), res);
  assert.equal(truncated, false);
  const p = dns2.Packet.parse(buffer);
  assert.deepEqual(p.errors, []);
  assert.equal(p.header.id, 99);
  assert.equal(p.header.aa, 1);
  const rdata = (r: unknown): string => {
    const x = r as Record<string, unknown>;
    return String(x.domain ?? x.target ?? x.exchange ?? x.ns ?? x.address ?? x.primary ?? (x.data as string[] | undefined)?.join('|'));
  };
  assert.deepEqual(p.answers.map((a) => `${a.name} ${rdata(a)}`), [
    'web.default.svc.cluster.local x.web.default.svc.cluster.local',
    'web.default.svc.cluster.local web-0.web.default.svc.cluster.local',
    'web.default.svc.cluster.local mail.example.org',
    `web.default.svc.cluster.local ${'a'.repeat(255)}|b`,
    'web.default.svc.cluster.local ns1.ns.dns.cluster.local',
    '1.0.0.10.in-addr.arpa kubernetes.default.svc.cluster.local',
  ]);
  assert.deepEqual(p.authorities.map((a) => `${a.name} ${rdata(a)}`), ['cluster.local ns.dns.cluster.local']);
  assert.deepEqual(p.additionals.map((a) => `${a.name} ${a.type} ${a.type === 41 ? a.class : rdata(a)}`), [
    'web-0.web.default.svc.cluster.local 1 10.244.1.5',
    'web-0.web.default.svc.cluster.local 28 ::ffff:a00:1',
    ' 41 1232',
  ]);
  assert.ok(buffer.length < 700, `compressed: ${buffer.length} bytes`);
});

test('huge answers: only what fits is encoded; UDP and TCP both stay within their limits with TC', () => {
  const q = 'big.default.svc.cluster.local.';
  const many: Rr[] = Array.from({ length: 20_000 }, (_, i) => ({ name: q, ttl: 30, type: 'A', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
  for (const tcp of [false, true]) {
    const started = Date.now();
    const { buffer, truncated } = encodeReply(shape({ name: q, type: 1, tcp }), resolution(many));
    const ms = Date.now() - started;
    assert.equal(truncated, true);
    assert.ok(buffer.length <= (tcp ? 65535 : 1232), `${buffer.length} bytes`);
    assert.ok(ms < 1000, `${tcp ? 'TCP' : 'UDP'} encode took ${ms} ms`);
    const p = dns2.Packet.parse(buffer);
    assert.equal(p.header.tc, 1);
    if (tcp) {
      // TCP has no bigger transport to retry on: as much of the RRset as fits, never an empty answer.
      assert.ok(p.answers.length > 3000 && p.answers.length < 20_000, `${p.answers.length} records over TCP`);
    } else {
      assert.equal(p.answers.length, 0, 'over UDP a single RRset that cannot fit is left out whole (the client retries over TCP)');
    }
  }
  const fits: Rr[] = many.slice(0, 3000);
  const started = Date.now();
  const tcp = encodeReply(shape({ name: q, type: 1, tcp: true }), resolution(fits));
  assert.ok(Date.now() - started < 2000, `3000 records over TCP took ${Date.now() - started} ms`);
  assert.equal(tcp.truncated, false);
  assert.equal(dns2.Packet.parse(tcp.buffer).answers.length, 3000);
});
