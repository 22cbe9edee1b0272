import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { freeDnsPort, waitFor } from '@kube-dns-legacy/testkit';
import { DnsServer, type MessageHandler } from './server.js';

/** A TCP connection from `from` (a loopback address) to the server, once connected. */
async function open(port: number, from: string): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed: () => closed };
}

/** Send one length-prefixed message and wait for one reply; the time it took (ms), or the error. */
async function askOnce(port: number, from: string, timeoutMs = 2000): Promise<number> {
  const started = performance.now();
  const { socket } = await open(port, from);
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
      let data = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        data = Buffer.concat([data, d]);
        if (data.length >= 4) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new Error('connection closed (reset) without a reply'));
      });
      socket.write(Buffer.from([0, 2, 7, 7]));
    });
  } finally {
    socket.destroy();
  }
}

const echo: MessageHandler = () => Buffer.from([9, 9]);

async function holdMany(
  port: number,
  from: string,
  count: number,
): Promise<Array<{ socket: Socket; closed: () => boolean }>> {
  const held: Array<{ socket: Socket; closed: () => boolean }> = [];
  for (let i = 0; i < count; i++) held.push(await open(port, from));
  return held;
}

/** A new client (127.0.0.3) asks five times beside the held connections: each answer within a second. */
async function newClientAnswered(port: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const ms = await askOnce(port, '127.0.0.3');
    times.push(ms);
    assert.ok(ms < 1000, `a new client answered in ${ms.toFixed(0)} ms`);
  }
  console.log(`a new client beside 300 held connections: answered in ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
}

test('one client holding hundreds of idle TCP connections cannot lock another out: per-client limit (default 32)', async () => {
  const port = await freeDnsPort();
  const logs: string[] = [];
  const server = new DnsServer(echo, {
    host: '127.0.0.1',
    port,
    tcpIdleMs: 10_000,
    tcpMaxConnections: 256,
    log: (_l, m) => logs.push(m),
  });
  await server.listen();
  const held = await holdMany(port, '127.0.0.2', 300);
  try {
    await newClientAnswered(port);
    await waitFor('the per-client limit to close the oldest', () => held.filter((h) => !h.closed()).length <= 32, 3000);
    assert.equal(held.filter((h) => !h.closed()).length, 32, 'the newest 32 stay open');
    assert.ok(held.slice(-32).every((h) => !h.closed()));
    // The client at its limit still gets answers on a new connection (its own longest-idle one makes room).
    const ms = await askOnce(port, '127.0.0.2');
    assert.ok(ms < 1000);
    assert.equal(logs.filter((l) => /longest-idle/.test(l)).length, 1, 'evictions are logged at most once per 10 s');
  } finally {
    for (const h of held) h.socket.destroy();
    await server.close();
  }
});

test('near the global cap the longest-idle connections are evicted for new clients; only busy ones make a new one wait out', async () => {
  const port = await freeDnsPort();
  const server = new DnsServer(echo, {
    host: '127.0.0.1',
    port,
    tcpIdleMs: 10_000,
    tcpMaxConnections: 256,
    tcpMaxPerClient: 0,
    log: () => undefined,
  });
  await server.listen();
  const held = await holdMany(port, '127.0.0.2', 300);
  try {
    await newClientAnswered(port);
    await waitFor('the oldest evicted', () => held.filter((h) => !h.closed()).length <= 224, 3000);
    // From 7/8 of the cap on, each new connection closes the longest-idle one: room stays for bursts
    // (the five questions above took one each while the total was there).
    const open = held.filter((h) => !h.closed()).length;
    assert.ok(open >= 219 && open <= 224, `${open} held connections left`);
    assert.ok(
      held.slice(-open).every((h) => !h.closed()),
      'the most recently used stay',
    );
  } finally {
    for (const h of held) h.socket.destroy();
    await server.close();
  }
});

test('busy connections are never evicted: at the cap with all busy a new connection is refused, and at the per-client limit its idle one goes', async () => {
  const port = await freeDnsPort();
  const waiting: Array<() => void> = [];
  const handler: MessageHandler = (msg) =>
    msg[0] === 1
      ? new Promise<Buffer>((resolve) => waiting.push(() => resolve(Buffer.from([1, 1]))))
      : Buffer.from([9, 9]);
  const server = new DnsServer(handler, {
    host: '127.0.0.1',
    port,
    tcpIdleMs: 10_000,
    tcpMaxConnections: 2,
    tcpMaxPerClient: 2,
    log: () => undefined,
  });
  await server.listen();
  const conns: Array<{ socket: Socket; closed: () => boolean }> = [];
  try {
    // Per client: one busy and one idle connection; a third evicts the idle one.
    const busy = await open(port, '127.0.0.2');
    busy.socket.write(Buffer.from([0, 2, 1, 0]));
    await waitFor('the slow question to arrive', () => waiting.length === 1, 2000);
    const idle = await open(port, '127.0.0.2');
    conns.push(busy, idle);
    const third = await open(port, '127.0.0.2');
    conns.push(third);
    await waitFor('the idle one evicted', () => idle.closed(), 2000);
    assert.equal(busy.closed(), false, 'the busy one stays');
    // The global cap (2): the third gets busy too, then a fourth from another client is refused.
    third.socket.write(Buffer.from([0, 2, 1, 0]));
    await waitFor('the second slow question', () => waiting.length === 2, 2000);
    const fourth = await open(port, '127.0.0.3');
    conns.push(fourth);
    await waitFor('a new connection refused while every one is busy', () => fourth.closed(), 2000);
    assert.equal(busy.closed() || third.closed(), false);
    // Once they are answered (idle again) a new client gets in.
    const replies: Buffer[] = [];
    busy.socket.on('data', (d: Buffer) => replies.push(d));
    for (const release of waiting) release();
    await waitFor('the slow answer', () => Buffer.concat(replies).length === 4, 2000);
    const ms = await askOnce(port, '127.0.0.3');
    assert.ok(ms < 1000);
  } finally {
    for (const c of conns) c.socket.destroy();
    await server.close();
  }
});
