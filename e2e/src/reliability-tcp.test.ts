import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { Cluster, putRecord, startSkydns, type Skydns } from './reliability-cluster.js';
import { QTYPE, encodeQuery, tcpQuery, udpQuery } from './reliability-dns.js';

// TCP abuse: idle connections past the cap, slow writers, half-open connections and clients that
// never read. All of it is bounded by -tcp-max-connections and -tcp-idle-timeout, and UDP answers
// stay fast throughout.

const CAP = 32;
const IDLE_MS = 1_000;
const NAME = 'kubernetes.default.svc.cluster.local.';

let etcd: EtcdServer;
let skydns: Skydns;

before(async () => {
  etcd = await EtcdServer.start();
  await putRecord(etcd, NAME, { host: '10.0.0.1', priority: 10, weight: 10, ttl: 30 });
  skydns = await startSkydns(etcd.endpoint, [`-tcp-max-connections=${CAP}`, `-tcp-idle-timeout=${IDLE_MS}ms`]);
});

after(async () => {
  await skydns?.process.stop();
  await etcd?.stop();
});

/** A client connection that records when the server closed it. */
interface Held {
  socket: Socket;
  openedAt: number;
  closedAt?: number;
}

async function open(): Promise<Held> {
  const socket = connect(skydns.port, '127.0.0.1');
  const held: Held = { socket, openedAt: Date.now() };
  socket.on('close', () => (held.closedAt = Date.now()));
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return held;
}

/** Ask over UDP `count` times, one after another; returns the slowest reply in ms (fails on any wrong answer). */
async function udpWhile(count: number): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    const reply = await udpQuery(skydns.port, NAME, QTYPE.A, 2_000);
    assert.equal(reply.answers[0]?.data, '10.0.0.1');
    slowest = Math.max(slowest, Date.now() - started);
  }
  return slowest;
}

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

test(`idle connections: at most ${CAP} are kept, the rest are closed at once; all close after the idle timeout; UDP unaffected`, async () => {
  const held = await Promise.all(Array.from({ length: CAP * 4 }, () => open()));
  await new Promise((r) => setTimeout(r, 300));
  const openNow = held.filter((h) => h.closedAt === undefined).length;
  assert.ok(openNow <= CAP, `${openNow} connections held open (cap ${CAP})`);
  assert.ok(openNow >= CAP / 2, `${openNow} connections accepted`);
  const slowest = await udpWhile(20);
  assert.ok(slowest < 500, `UDP answers while TCP is full (slowest ${slowest} ms)`);
  await waitFor(
    'every idle connection to be closed by the server',
    () => held.every((h) => h.closedAt !== undefined),
    IDLE_MS * 6,
    50,
  );
  const longest = Math.max(...held.map((h) => (h.closedAt ?? 0) - h.openedAt));
  assert.ok(longest < IDLE_MS * 4, `longest idle connection lived ${longest} ms (idle timeout ${IDLE_MS} ms)`);
  const reply = await tcpQuery(skydns.port, NAME);
  assert.equal(reply.answers[0]?.data, '10.0.0.1', 'TCP serves again once the idle connections are gone');
});

test('slow writers (one byte every 200 ms) and half-open connections (a partial frame, then silence) are bounded', async () => {
  const query = frame(encodeQuery(7, NAME, QTYPE.A));
  const writers = await Promise.all(Array.from({ length: CAP }, () => open()));
  const timers = writers.map((w) => {
    let at = 0;
    return setInterval(() => {
      if (at < query.length && w.closedAt === undefined) w.socket.write(query.subarray(at, ++at));
    }, 200);
  });
  const partial = await Promise.all(Array.from({ length: 8 }, () => open()));
  for (const p of partial) p.socket.write(Buffer.concat([Buffer.from([0x01, 0x00]), Buffer.alloc(20)])); // says 256 bytes, sends 20
  try {
    const slowest = await udpWhile(20);
    assert.ok(slowest < 500, `UDP answers while TCP is held by slow writers (slowest ${slowest} ms)`);
    await waitFor(
      'the half-open connections to be closed',
      () => partial.every((p) => p.closedAt !== undefined),
      IDLE_MS * 6,
      50,
    );
    // A writer sending a byte every 200 ms is never idle for a whole second: it lasts as long as its
    // message (about 11 s) at most, and holds one slot of the cap meanwhile.
    await waitFor(
      'the slow writers to finish or be cut off',
      () => writers.every((w) => w.closedAt !== undefined),
      30_000,
      100,
    );
    const longest = Math.max(...writers.map((w) => (w.closedAt ?? 0) - w.openedAt));
    console.log(
      `slow writers: the longest held a connection for ${longest} ms (message ${query.length} bytes at 5 bytes/s)`,
    );
    assert.ok(longest < query.length * 200 + IDLE_MS * 4, `slow writers are bounded (${longest} ms)`);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const w of [...writers, ...partial]) w.socket.destroy();
  }
  assert.equal((await tcpQuery(skydns.port, NAME)).answers[0]?.data, '10.0.0.1');
});

test('a client that sends thousands of queries and never reads is cut off; memory stays bounded', async () => {
  const rssBefore = await Cluster.metric(skydns.metricsPort, 'skydns_skydns_process_resident_memory_bytes');
  const held = await open();
  const burst = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => frame(encodeQuery(i, NAME, QTYPE.A, 4096))));
  held.socket.pause(); // never read the replies
  held.socket.write(burst);
  // The server cuts the client off (reset) once its unsent replies pass its backlog limit, or closes
  // it after the idle timeout when the kernel buffers took them all. A paused socket cannot see the
  // close, so the client only looks after several idle timeouts, reading what had arrived.
  await new Promise((r) => setTimeout(r, IDLE_MS * 4));
  const rssAfter = await Cluster.metric(skydns.metricsPort, 'skydns_skydns_process_resident_memory_bytes');
  const looked = Date.now();
  held.socket.resume();
  await waitFor(
    'the connection of the client that did not read to be closed by the server',
    () => held.closedAt !== undefined,
    5_000,
    20,
  );
  console.log(
    `non-reading client: closed by the server ${(held.closedAt ?? 0) < looked ? 'with a reset (backlog limit)' : 'after the idle timeout'}; resident memory ${Math.round(rssBefore / 1e6)} -> ${Math.round(rssAfter / 1e6)} MB`,
  );
  assert.ok(rssAfter - rssBefore < 100e6, `resident memory grew ${Math.round((rssAfter - rssBefore) / 1e6)} MB`);
  assert.ok(skydns.process.alive);
  assert.ok((await udpWhile(5)) < 500);
});
