import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { bare, type Resolution } from './resolve/answer.js';
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

const resolution = (answer: Rr[], authority: Rr[] = [], additional: Rr[] = []): Resolution => ({
  ...bare('NOERROR', true, true),
  answer,
  authority,
  additional,
});

test('every record type round-trips through dns2 with compression and the OPT last', () => {
  const q = 'web.default.svc.cluster.local.';
  const res = resolution(
    [
      { name: q, ttl: 30, type: 'CNAME', target: 'x.web.default.svc.cluster.local.' },
      {
        name: q,
        ttl: 30,
        type: 'SRV',
        priority: 10,
        weight: 50,
        port: 8080,
        target: 'web-0.web.default.svc.cluster.local.',
      },
      { name: q, ttl: 30, type: 'MX', preference: 10, target: 'mail.example.org.' },
      { name: q, ttl: 30, type: 'TXT', texts: ['a'.repeat(255), 'b'] },
      { name: q, ttl: 30, type: 'NS', target: 'ns1.ns.dns.cluster.local.' },
      { name: '1.0.0.10.in-addr.arpa.', ttl: 30, type: 'PTR', target: 'kubernetes.default.svc.cluster.local.' },
    ],
    [
      {
        name: 'cluster.local.',
        ttl: 60,
        type: 'SOA',
        mname: 'ns.dns.cluster.local.',
        rname: 'hostmaster.cluster.local.',
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 60,
      },
    ],
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
    return String(
      x.domain ??
        x.target ??
        x.exchange ??
        x.ns ??
        x.address ??
        x.primary ??
        (x.data as string[] | undefined)?.join('|'),
    );
  };
  assert.deepEqual(
    p.answers.map((a) => `${a.name} ${rdata(a)}`),
    [
      'web.default.svc.cluster.local x.web.default.svc.cluster.local',
      'web.default.svc.cluster.local web-0.web.default.svc.cluster.local',
      'web.default.svc.cluster.local mail.example.org',
      `web.default.svc.cluster.local ${'a'.repeat(255)}|b`,
      'web.default.svc.cluster.local ns1.ns.dns.cluster.local',
      '1.0.0.10.in-addr.arpa kubernetes.default.svc.cluster.local',
    ],
  );
  assert.deepEqual(
    p.authorities.map((a) => `${a.name} ${rdata(a)}`),
    ['cluster.local ns.dns.cluster.local'],
  );
  assert.deepEqual(
    p.additionals.map((a) => `${a.name} ${a.type} ${a.type === 41 ? a.class : rdata(a)}`),
    [
      'web-0.web.default.svc.cluster.local 1 10.244.1.5',
      'web-0.web.default.svc.cluster.local 28 ::ffff:a00:1',
      ' 41 1232',
    ],
  );
  assert.ok(buffer.length < 700, `compressed: ${buffer.length} bytes`);
});

test('huge answers: only what fits is encoded; UDP and TCP both stay within their limits with TC', () => {
  const q = 'big.default.svc.cluster.local.';
  const many: Rr[] = Array.from({ length: 20_000 }, (_, i) => ({
    name: q,
    ttl: 30,
    type: 'A',
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  }));
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
      assert.equal(
        p.answers.length,
        0,
        'over UDP a single RRset that cannot fit is left out whole (the client retries over TCP)',
      );
    }
  }
  const fits: Rr[] = many.slice(0, 3000);
  const started = Date.now();
  const tcp = encodeReply(shape({ name: q, type: 1, tcp: true }), resolution(fits));
  assert.ok(Date.now() - started < 2000, `3000 records over TCP took ${Date.now() - started} ms`);
  assert.equal(tcp.truncated, false);
  assert.equal(dns2.Packet.parse(tcp.buffer).answers.length, 3000);
});

test('the bytes are exactly what dns2 encodes for the same message as a whole (types, classes, TTLs, compression, OPT)', () => {
  const q = 'web.default.svc.cluster.local.';
  const d = (name: string): string => name.replace(/\.$/, '');
  const answer: Rr[] = [
    { name: q, ttl: 30, type: 'A', address: '10.0.0.1' },
    { name: q, ttl: 31, type: 'AAAA', address: 'fd00::1' },
    { name: q, ttl: 32, type: 'CNAME', target: `x.${q}` },
    { name: q, ttl: 33, type: 'SRV', priority: 10, weight: 50, port: 8080, target: `web-0.${q}` },
    { name: q, ttl: 34, type: 'MX', preference: 10, target: 'mail.example.org.' },
    { name: q, ttl: 35, type: 'TXT', texts: ['a'.repeat(255), 'b'] },
    { name: q, ttl: 36, type: 'NS', target: 'ns1.ns.dns.cluster.local.' },
    { name: '1.0.0.10.in-addr.arpa.', ttl: 37, type: 'PTR', target: 'kubernetes.default.svc.cluster.local.' },
    { name: 'version.bind.', ttl: 0, type: 'TXT', texts: ['kube-dns-legacy'], chaos: true },
  ];
  const soa: Rr = {
    name: 'cluster.local.',
    ttl: 60,
    type: 'SOA',
    mname: 'ns.dns.cluster.local.',
    rname: 'hostmaster.cluster.local.',
    serial: 1795434000,
    refresh: 28800,
    retry: 7200,
    expire: 604800,
    minimum: 60,
  };
  const glue: Rr = { name: `web-0.${q}`, ttl: 30, type: 'A', address: '10.244.1.5' };
  for (const opt of [undefined, { udpSize: 1232, do: true }]) {
    const ours: Buffer = encodeReply(shape({ opt, type: 1, limit: 4096 }), resolution(answer, [soa], [glue])).buffer;
    const p = new dns2.Packet();
    Object.assign(p.header, { id: 99, qr: 1, opcode: 0, aa: 1, tc: 0, rd: 1, ra: 1, z: 0, ad: 0, cd: 0, rcode: 0 });
    p.questions.push(new dns2.Packet.Question(d(q), 1, 1));
    const rr = (o: Record<string, unknown>): dns2.Packet.Resource => o as unknown as dns2.Packet.Resource;
    p.answers.push(
      rr({ name: d(q), type: 1, class: 1, ttl: 30, address: '10.0.0.1' }),
      rr({ name: d(q), type: 28, class: 1, ttl: 31, address: 'fd00::1' }),
      rr({ name: d(q), type: 5, class: 1, ttl: 32, domain: `x.${d(q)}` }),
      rr({ name: d(q), type: 33, class: 1, ttl: 33, priority: 10, weight: 50, port: 8080, target: `web-0.${d(q)}` }),
      rr({ name: d(q), type: 15, class: 1, ttl: 34, exchange: 'mail.example.org', priority: 10 }),
      rr({ name: d(q), type: 16, class: 1, ttl: 35, data: ['a'.repeat(255), 'b'] }),
      rr({ name: d(q), type: 2, class: 1, ttl: 36, ns: 'ns1.ns.dns.cluster.local' }),
      rr({
        name: '1.0.0.10.in-addr.arpa',
        type: 12,
        class: 1,
        ttl: 37,
        domain: 'kubernetes.default.svc.cluster.local',
      }),
      rr({ name: 'version.bind', type: 16, class: 3, ttl: 0, data: ['kube-dns-legacy'] }),
    );
    p.authorities.push(
      rr({
        name: 'cluster.local',
        type: 6,
        class: 1,
        ttl: 60,
        primary: 'ns.dns.cluster.local',
        admin: 'hostmaster.cluster.local',
        serial: 1795434000,
        refresh: 28800,
        retry: 7200,
        expiration: 604800,
        minimum: 60,
      }),
    );
    p.additionals.push(rr({ name: `web-0.${d(q)}`, type: 1, class: 1, ttl: 30, address: '10.244.1.5' }));
    if (opt !== undefined)
      p.additionals.push(
        dns2.Packet.Resource.EDNS([], { udpPayloadSize: 1232, doFlag: true }) as unknown as dns2.Packet.Resource,
      );
    assert.equal(ours.toString('hex'), p.toBuffer().toString('hex'), opt === undefined ? 'without EDNS' : 'with EDNS');
  }
});
