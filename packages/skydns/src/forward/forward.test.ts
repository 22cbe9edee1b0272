import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import dns2 from 'dns2';
import { dig, freeDnsPort, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import type { HandlerOptions } from '../handler.js';
import { NO_METRICS } from '../metrics.js';
import { TreeBuilder, kubeA, serveHandler, testHandler } from '../testing.js';
import { parseNetwork } from './acl.js';

const { Packet } = dns2;

// Forwarding against real UDP servers on loopback (written here with node:dgram: a silent one, one
// whose replies are huge, one that sends forged replies first), with dig as the client.

const closers: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** A UDP "upstream" on 127.0.0.1 that hands each question to `reply` (which may answer through `socket` or not at all). */
async function upstream(
  reply: (q: dns2.Packet, raw: Buffer, from: RemoteInfo, socket: Socket) => void,
  host = '127.0.0.1',
  port?: number,
): Promise<{ port: number; seen: string[] }> {
  const bound = port ?? (await freeDnsPort());
  const seen: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (raw, from) => {
    const q = Packet.parse(raw);
    seen.push(q.questions[0]?.name ?? '');
    reply(q, raw, from, socket);
  });
  await new Promise<void>((resolve) => socket.bind(bound, host, resolve));
  closers.push(() => {
    socket.close();
  });
  return { port: bound, seen };
}

/** A reply to `q` with `count` A records for its name. */
function answer(q: dns2.Packet, count: number, first = '192.0.2.1'): Buffer {
  const r = Packet.createResponseFromRequest(q);
  r.header.ra = 1;
  const name = q.questions[0]?.name ?? '';
  for (let i = 0; i < count; i++) {
    const address = i === 0 ? first : `198.51.${Math.floor(i / 250)}.${i % 250}`;
    r.answers.push(Object.assign(new Packet.Resource(name, 1, 1, 300), { address }));
  }
  return r.toBuffer();
}

interface Counted {
  /** Replies the handler produced, by rcode. */
  readonly replies: Map<number, number>;
  readonly forwards: Map<string, number>;
  readonly errors: Map<string, number>;
  readonly warnings: string[];
}

/** skydns's DNS path (the real handler and listeners) on a free loopback port, with `cluster.local.` holding one service. */
async function skydns(overrides: Partial<HandlerOptions>): Promise<{ port: number; counted: Counted }> {
  const b = new TreeBuilder();
  b.leaf('kubernetes.default.svc.cluster.local.', kubeA('10.0.0.1'));
  const counted: Counted = { replies: new Map(), forwards: new Map(), errors: new Map(), warnings: [] };
  const add = (m: Map<string, number>, k: string): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  const handler = testHandler(b.tree, {
    forward: { servers: [], rotate: false, timeoutMs: 1000 },
    roundRobin: false,
    observer: {
      ...NO_METRICS,
      reply: (_system, _tcp, _qtype, rcode) => {
        counted.replies.set(rcode, (counted.replies.get(rcode) ?? 0) + 1);
      },
      forward: (o) => add(counted.forwards, o),
      error: (cause) => add(counted.errors, cause),
    },
    log: (level, message) => {
      if (level === 'warn') counted.warnings.push(message);
    },
    ...overrides,
  });
  const server = await serveHandler(handler, 64);
  closers.push(async () => {
    await server.close();
    handler.close();
  });
  return { port: server.port, counted };
}

const size = (raw: string): number => Number(/MSG SIZE\s+rcvd: (\d+)/.exec(raw)?.[1] ?? Number.NaN);

test('a huge upstream reply is cut to the client limit with TC=1 (512 without EDNS, its size with); TCP gets it whole', async (t) => {
  requireTool('dig');
  const huge = await upstream((q, _raw, from, socket) => socket.send(answer(q, 300), from.port, from.address));
  const tcpUpstream = createServer((s) =>
    s.once('data', (d: Buffer) => {
      const reply = answer(Packet.parse(d.subarray(2)), 300);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      s.end(Buffer.concat([len, reply]));
    }),
  );
  await new Promise<void>((resolve) => tcpUpstream.listen(huge.port, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => tcpUpstream.close(() => resolve())));
  const { port, counted } = await skydns({
    forward: { servers: [{ host: '127.0.0.1', port: huge.port }], rotate: false, timeoutMs: 1000 },
  });
  const plain = await dig(port, '+noedns', '+ignore', '+stats', 'big.example.com', 'A');
  t.diagnostic(`no EDNS: ${size(plain.raw)} bytes, TC=${plain.flags.includes('tc')}`);
  assert.ok(size(plain.raw) <= 512, `no EDNS: ${size(plain.raw)} bytes (limit 512)`);
  assert.ok(plain.flags.includes('tc'), 'TC set');
  assert.equal(plain.status, 'NOERROR');
  const edns = await dig(port, '+bufsize=1232', '+ignore', '+stats', 'big2.example.com', 'A');
  t.diagnostic(`EDNS 1232: ${size(edns.raw)} bytes, TC=${edns.flags.includes('tc')}`);
  assert.ok(size(edns.raw) <= 1232 && size(edns.raw) > 512, `EDNS 1232: ${size(edns.raw)} bytes`);
  assert.ok(edns.flags.includes('tc'));
  assert.equal(edns.ednsUdp, 1232);
  assert.ok(edns.answer.length > 0 && edns.answer.every((a) => a.startsWith('big2.example.com. 300 IN A ')));
  const tcp = await dig(port, '+tcp', '+stats', 'big3.example.com', 'A');
  assert.equal(tcp.answer.length, 300);
  assert.ok(!tcp.flags.includes('tc'));
  assert.ok((counted.errors.get('truncated') ?? 0) >= 2);
});

test('a reply from another address or port, or for another question, is discarded; the real one is taken', async () => {
  requireTool('dig');
  const port0 = await freeDnsPort();
  const forger = createSocket('udp4');
  await new Promise<void>((resolve) => forger.bind(port0, '127.0.0.2', resolve));
  closers.push(() => {
    forger.close();
  });
  const honest = await upstream(
    (q, raw, from, socket) => {
      const forged = answer(q, 1, '203.0.113.66');
      forger.send(forged, from.port, from.address); // right ID and question, right port, wrong address
      const other = Packet.parse(raw);
      (other.questions[0] as { name: string }).name = 'evil.example.org';
      const wrongQuestion = answer(other, 1, '203.0.113.77');
      wrongQuestion.writeUInt16BE(raw.readUInt16BE(0), 0);
      socket.send(wrongQuestion, from.port, from.address); // right ID, address and port, another question
      setTimeout(() => socket.send(answer(q, 1, '192.0.2.53'), from.port, from.address), 100);
    },
    '127.0.0.1',
    port0,
  );
  const { port, counted } = await skydns({
    forward: { servers: [{ host: '127.0.0.1', port: honest.port }], rotate: false, timeoutMs: 1000 },
  });
  const r = await dig(port, 'www.example.net', 'A');
  assert.deepEqual(r.answer, ['www.example.net. 300 IN A 192.0.2.53']);
  assert.equal(counted.errors.get('upstream-wrong-source'), 1);
  assert.equal(counted.errors.get('upstream-wrong-question'), 1);
});

test('a silent upstream: sockets stay bounded, identical questions go out once, TCP still answered, one warning line', async (t) => {
  requireTool('dig');
  const silent = await upstream(() => undefined);
  const { port, counted } = await skydns({
    forward: { servers: [{ host: '127.0.0.1', port: silent.port }], rotate: false, timeoutMs: 1500 },
  });
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  const client = createSocket('udp4');
  closers.push(() => {
    client.close();
  });
  const replies: Buffer[] = [];
  client.on('message', (m) => replies.push(m));
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  // 2,000 questions: 1,000 names, each asked twice.
  for (let i = 0; i < 2000; i++) {
    const p = new Packet();
    p.header.id = i;
    p.header.rd = 1;
    p.questions.push(new Packet.Question(`n${i % 1000}.silent.example`, 1, 1));
    client.send(p.toBuffer(), port, '127.0.0.1');
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const during = fds();
  const local = await dig(port, '+tcp', 'kubernetes.default.svc.cluster.local', 'A').catch((err: Error) => err);
  // Every question gets its SERVFAIL once the timeout passes (counted where skydns sends it: on a
  // loaded machine the kernel may drop some of 2,000 replies arriving at once at the test's socket).
  const servfails = await waitFor(
    '2,000 replies',
    () => (counted.replies.get(2) ?? 0) >= 2000 && counted.replies.get(2),
    10_000,
    50,
  ).catch(() => counted.replies.get(2) ?? 0);
  const lines = counted.warnings.filter((w) => w.startsWith('every upstream failed'));
  t.diagnostic(
    `descriptors +${during - before}; upstream got ${silent.seen.length}; coalesced ${counted.forwards.get('coalesced') ?? 0}; ` +
      `SERVFAIL sent ${servfails}, received ${replies.length}; failed ${counted.forwards.get('failed') ?? 0}; warning lines ${lines.length}`,
  );
  assert.ok(!(local instanceof Error), `TCP answered meanwhile: ${local instanceof Error ? local.message : ''}`);
  assert.deepEqual(local.answer, ['kubernetes.default.svc.cluster.local. 30 IN A 10.0.0.1']);
  assert.ok(during - before < 20, `descriptors grew by ${during - before} for 2,000 questions in flight`);
  assert.ok(silent.seen.length <= 1000, `the upstream got ${silent.seen.length} questions for 1,000 names`);
  assert.ok((counted.forwards.get('coalesced') ?? 0) >= 900, `coalesced ${counted.forwards.get('coalesced')}`);
  assert.equal(servfails, 2000, 'every question got its SERVFAIL');
  assert.ok(replies.length > 0 && replies.every((r) => ((r[3] as number) & 0xf) === 2));
  assert.ok((counted.forwards.get('failed') ?? 0) >= 900);
  assert.equal(lines.length, 1, `${lines.length} warning lines for ${counted.forwards.get('failed')} failures`);
});

test('-allow-recursion: clients outside the networks get REFUSED for names outside the domain, answers inside it', async () => {
  requireTool('dig');
  const up = await upstream((q, _raw, from, socket) => socket.send(answer(q, 1), from.port, from.address));
  const { port } = await skydns({
    forward: { servers: [{ host: '127.0.0.1', port: up.port }], rotate: false, timeoutMs: 1000 },
    allowRecursion: [parseNetwork('127.0.0.0/30'), parseNetwork('fd00::/8')],
  });
  const inside = await dig(port, '-b', '127.0.0.2', 'www.example.com', 'A');
  assert.deepEqual(inside.answer, ['www.example.com. 300 IN A 192.0.2.1']);
  const outside = await dig(port, '-b', '127.0.0.9', 'www.example.com', 'A');
  assert.equal(outside.status, 'REFUSED');
  assert.ok(!outside.flags.includes('ra'));
  assert.equal(up.seen.length, 1, 'the refused question never went upstream');
  const local = await dig(port, '-b', '127.0.0.9', 'kubernetes.default.svc.cluster.local', 'A');
  assert.deepEqual(local.answer, ['kubernetes.default.svc.cluster.local. 30 IN A 10.0.0.1']);
  assert.throws(() => parseNetwork('10.0.0.0/33'), /not a network/);
  assert.throws(() => parseNetwork('example.com/8'), /not a network/);
});
