import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import dns2 from 'dns2';
import { freeDnsPort } from '@kube-dns-legacy/testkit';
import { forwardQuery, lookupExternal } from './exchange.js';
import { UpstreamPool } from './pool.js';
import { parseUpstream, resolvConfServers, type Upstream } from './upstream.js';

const { Packet } = dns2;

/** A tiny real DNS server on loopback (UDP and TCP) that answers every A question with `address`. */
async function upstream(address: string): Promise<{ server: Upstream; seen: number[]; close: () => Promise<void> }> {
  const port = await freeDnsPort();
  const seen: number[] = [];
  const answer = (msg: Buffer): Buffer => {
    const q = Packet.parse(msg);
    seen.push(q.header.id);
    const r = Packet.createResponseFromRequest(q);
    r.header.ra = 1;
    r.answers.push(Object.assign(new Packet.Resource(q.questions[0]?.name ?? '', 1, 1, 77), { address }));
    return r.toBuffer();
  };
  const udp: Socket = createSocket('udp4');
  udp.on('message', (m, r) => udp.send(answer(m), r.port, r.address));
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
  const tcp: Server = createServer((s) => {
    s.on('data', (d: Buffer) => {
      const reply = answer(d.subarray(2, 2 + d.readUInt16BE(0)));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      s.end(Buffer.concat([len, reply]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
  return {
    server: { host: '127.0.0.1', port },
    seen,
    close: async () => {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

function query(id: number, name = 'www.example.com'): Buffer {
  const p = new Packet();
  p.header.id = id;
  p.header.rd = 1;
  p.questions.push(new Packet.Question(name, 1, 1));
  return p.toBuffer();
}

const addressOf = (reply: Buffer | undefined): string =>
  (Packet.parse(reply as Buffer).answers[0] as unknown as { address: string }).address;

const pool = new UpstreamPool();
const servers: Array<{ close: () => Promise<void> }> = [];
after(async () => {
  pool.close();
  for (const s of servers) await s.close();
});

test('in order unless -ns-rotate; next server on failure; client ID restored; TCP for TCP clients', async () => {
  const a = await upstream('192.0.2.1');
  const b = await upstream('192.0.2.2');
  servers.push(a, b);
  const dead = { host: '127.0.0.1', port: await freeDnsPort() };
  const ordered = { servers: [a.server, b.server], rotate: false, timeoutMs: 300 };
  for (const id of [1, 2, 3]) {
    const r = await forwardQuery(pool, ordered, query(id), false);
    assert.equal(addressOf(r.reply), '192.0.2.1');
    assert.equal(r.reply?.readUInt16BE(0), id, 'the client ID comes back');
  }
  assert.ok(!a.seen.includes(1) || !a.seen.includes(2) || !a.seen.includes(3), 'upstream sees fresh random IDs');
  const rotating = { servers: [a.server, b.server], rotate: true, timeoutMs: 300 };
  assert.equal(addressOf((await forwardQuery(pool, rotating, query(10), false)).reply), '192.0.2.1');
  assert.equal(addressOf((await forwardQuery(pool, rotating, query(11), false)).reply), '192.0.2.2');
  const started = Date.now();
  const fallback = await forwardQuery(
    pool,
    { servers: [dead, b.server], rotate: false, timeoutMs: 300 },
    query(5),
    false,
  );
  assert.equal(addressOf(fallback.reply), '192.0.2.2');
  assert.equal(fallback.errors.length, 1);
  assert.ok(Date.now() - started < 1500);
  const tcp = await forwardQuery(pool, { servers: [dead, a.server], rotate: false, timeoutMs: 300 }, query(6), true);
  assert.equal(addressOf(tcp.reply), '192.0.2.1');
  const none = await forwardQuery(pool, { servers: [dead], rotate: false, timeoutMs: 200 }, query(7), false);
  assert.equal(none.reply, undefined);
  assert.match(none.errors[0] ?? '', /no reply from 127\.0\.0\.1:\d+ within 200 ms/);
  const external = await lookupExternal(pool, ordered, 'www.example.com.', 'A', 60);
  assert.deepEqual(external, [{ name: 'www.example.com.', ttl: 60, type: 'A', address: '192.0.2.1' }]);
  assert.equal(
    await lookupExternal(pool, { servers: [dead], rotate: false, timeoutMs: 200 }, 'x.example.', 'A', 60),
    undefined,
    'no server answered',
  );
});

test('upstream addresses and resolv.conf', () => {
  assert.deepEqual(parseUpstream('10.0.0.1'), { host: '10.0.0.1', port: 53 });
  assert.deepEqual(parseUpstream('10.0.0.1:5353'), { host: '10.0.0.1', port: 5353 });
  assert.deepEqual(parseUpstream('[fd00::1]:54'), { host: 'fd00::1', port: 54 });
  assert.deepEqual(parseUpstream('fd00::1'), { host: 'fd00::1', port: 53 });
  assert.throws(() => parseUpstream('10.0.0.1:99999'), /not an IP address with an optional :port/);
  assert.deepEqual(
    resolvConfServers(
      '# c\nsearch x\nnameserver 10.0.0.10\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:5\n',
    ),
    [
      { host: '10.0.0.10', port: 53 },
      { host: 'fe80::1', port: 53 },
    ],
  );
});
