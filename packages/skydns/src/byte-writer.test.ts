import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { ByteWriter } from './byte-writer.js';
import { seededRandom as random } from '@kube-dns-legacy/testkit';

const { Packet } = dns2;

/** dns2's own bit writer standing for the part of a message from `base` on, with a shared compression table. */
function dns2Writer(base: number, names: Map<string, number>): dns2.Packet.Writer {
  const w = new Packet.Writer() as dns2.Packet.Writer & { names: Map<string, number> };
  w.names = names;
  w.byteLength = function byteLength(this: dns2.Packet.Writer): number {
    return base + this.buffer.length / 8;
  };
  return w;
}

test('any sequence of writes gives the bytes dns2 writer gives, including sub-byte fields and 32-bit values', () => {
  const next = random(11);
  for (let round = 0; round < 300; round++) {
    const ours = new ByteWriter(0, new Map(), 4);
    const theirs = new Packet.Writer();
    for (let i = 0; i < 40; i++) {
      const bits = next() < 0.7 ? (([8, 16, 32] as const)[Math.floor(next() * 3)] ?? 8) : 1 + Math.floor(next() * 32);
      const value = Math.floor(next() * 2 ** 32);
      ours.write(value, bits);
      theirs.write(value, bits);
      assert.equal(ours.bitLength(), theirs.bitLength());
    }
    assert.deepEqual(ours.toBuffer(), theirs.toBuffer(), `round ${round}`);
  }
});

test('patches, writeBuffer and the offsets count from the base', () => {
  const ours = new ByteWriter(100);
  ours.write(0xabcd, 16);
  const at = ours.bitLength();
  assert.equal(at, 102 * 8);
  assert.equal(ours.byteLength(), 102);
  ours.write(0, 16);
  ours.write(0x01020304, 32);
  ours.patch(at, 0xbeef, 16);
  const inner = new Packet.Writer();
  inner.write(0x0a0b, 16);
  ours.writeBuffer(inner);
  assert.deepEqual([...ours.toBuffer()], [0xab, 0xcd, 0xbe, 0xef, 1, 2, 3, 4, 0x0a, 0x0b]);
  assert.throws(() => ours.patch(at + 4, 1, 16), /not whole written bytes/);
});

test('dns2 codecs through ByteWriter produce the same bytes and compression pointers as through dns2 writer', () => {
  const name = 'web.default.svc.cluster.local';
  const records: Array<Record<string, unknown>> = [
    { name, type: 1, class: 1, ttl: 30, address: '10.0.0.1' },
    { name, type: 28, class: 1, ttl: 30, address: 'fd00::1' },
    { name, type: 5, class: 1, ttl: 30, domain: `x.${name}` },
    { name, type: 12, class: 1, ttl: 30, domain: 'WEB.Default.svc.cluster.local' },
    { name, type: 2, class: 1, ttl: 3600, ns: 'ns.dns.cluster.local' },
    { name, type: 15, class: 1, ttl: 30, exchange: 'mail.example.org', priority: 10 },
    {
      name: `_http._tcp.${name}`,
      type: 33,
      class: 1,
      ttl: 30,
      priority: 10,
      weight: 50,
      port: 8080,
      target: `web-0.${name}`,
    },
    { name, type: 16, class: 1, ttl: 30, data: ['a'.repeat(255), 'b', ''] },
    { name, type: 16, class: 3, ttl: 0, data: ['version'] },
    {
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
    },
    Packet.Resource.EDNS([], { udpPayloadSize: 1232, doFlag: true }) as unknown as Record<string, unknown>,
  ];
  const oursNames = new Map<string, number>();
  const theirsNames = new Map<string, number>();
  let base = 12;
  const question = (w: dns2.Packet.Writer): void => {
    Packet.Question.encode(new Packet.Question(`WeB.default.svc.cluster.local`, 1, 1), w);
  };
  const encodeBoth = (encode: (w: dns2.Packet.Writer) => void): void => {
    const ours = new ByteWriter(base, oursNames);
    const theirs = dns2Writer(base, theirsNames);
    encode(ours as unknown as dns2.Packet.Writer);
    encode(theirs);
    const a = ours.toBuffer();
    assert.deepEqual(a, theirs.toBuffer());
    base += a.length;
  };
  encodeBoth(question);
  for (const record of [...records, ...records])
    encodeBoth((w) => Packet.Resource.encode(record as unknown as dns2.Packet.Resource, w));
  assert.deepEqual([...oursNames], [...theirsNames]);
  assert.ok(oursNames.size > 5, 'names were recorded for compression');
  const header = new Packet.Header({
    id: 0x1234,
    qr: 1,
    opcode: 0,
    aa: 1,
    tc: 1,
    rd: 1,
    ra: 0,
    z: 0,
    ad: 0,
    cd: 1,
    rcode: 3,
    qdcount: 1,
    ancount: 2,
    nscount: 1,
    arcount: 1,
  } as Partial<dns2.Packet.Header>);
  assert.deepEqual(header.toBuffer(new ByteWriter() as unknown as dns2.Packet.Writer), header.toBuffer());
});
