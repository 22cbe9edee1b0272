import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { freeDnsPort, waitFor } from '@kube-dns-legacy/testkit';
import { DnsServer, type UdpMode } from './server.js';

/** Both UDP paths: the batched one (the addon, built by scripts/setup.sh) and Node's dgram. */
const MODES: readonly UdpMode[] = ['batch', 'dgram'];

for (const udp of MODES)
  test(`${udp}: a handler that throws or rejects never takes the listeners down; the TCP connection cap holds (the longest-idle makes room)`, async () => {
    const port = await freeDnsPort();
    const logs: string[] = [];
    let calls = 0;
    const server = new DnsServer(
      (msg) => {
        calls++;
        if (msg[0] === 1) throw new Error('boom');
        if (msg[0] === 2) return Promise.reject(new Error('async boom'));
        return Buffer.from([9, 9]);
      },
      { host: '127.0.0.1', port, tcpIdleMs: 5000, tcpMaxConnections: 2, udp, log: (_l, m) => logs.push(m) },
    );
    await server.listen();
    assert.equal(server.udpPath.mode, udp);
    try {
      const udp = createSocket('udp4');
      const replies: Buffer[] = [];
      udp.on('message', (m) => replies.push(m));
      for (const first of [1, 2, 3]) udp.send(Buffer.from([first, 0]), port, '127.0.0.1');
      await waitFor('the good one answered', () => replies.length === 1, 2000);
      assert.deepEqual([...(replies[0] ?? [])], [9, 9]);
      assert.equal(calls, 3);
      await waitFor('failures logged', () => logs.filter((l) => /UDP handler failed/.test(l)).length === 2, 2000);
      udp.close();

      const sockets: Socket[] = [];
      const closed: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        s.on('close', () => (closed[i] = true));
        sockets.push(s);
        await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      }
      // At the cap, the third makes room by closing the longest-idle connection (server-tcp.test.ts has more).
      await waitFor('the first (longest-idle) connection is closed', () => closed[0] === true, 2000);
      assert.notEqual(closed[1], true);
      assert.notEqual(closed[2], true);
      const data: Buffer[] = [];
      sockets[2]?.on('data', (d: Buffer) => data.push(d));
      sockets[2]?.write(Buffer.from([0, 2, 3, 0]));
      await waitFor('TCP answer with a length prefix', () => Buffer.concat(data).length === 4, 2000);
      assert.deepEqual([...Buffer.concat(data)], [0, 2, 9, 9]);
      for (const s of sockets) s.destroy();
    } finally {
      await server.close();
    }
  });

test('a client trickling a message byte by byte is cut off by the message deadline, not kept alive by the idle timer', async () => {
  const port = await freeDnsPort();
  const server = new DnsServer(() => Buffer.from([9, 9]), {
    host: '127.0.0.1',
    port,
    tcpIdleMs: 400,
    tcpMaxConnections: 4,
    log: () => undefined,
  });
  await server.listen();
  try {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    let closedAt = 0;
    s.on('close', () => (closedAt = Date.now()));
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    const start = Date.now();
    const data: Buffer[] = [];
    s.on('data', (d: Buffer) => data.push(d));
    s.write(Buffer.from([0, 2, 3, 0, 0, 200])); // one whole message, then the start of a 200-byte one
    const trickle = setInterval(() => s.destroyed || s.write(Buffer.from([1])), 100);
    try {
      await waitFor('the connection to be closed', () => closedAt > 0, 5000);
    } finally {
      clearInterval(trickle);
    }
    assert.deepEqual([...Buffer.concat(data)], [0, 2, 9, 9], 'the whole message was answered');
    const heldMs = closedAt - start;
    assert.ok(
      heldMs >= 350 && heldMs < 1500,
      `closed after ${heldMs} ms (deadline 400 ms from the message's first byte)`,
    );
  } finally {
    await server.close();
  }
});

for (const udp of MODES)
  test(`${udp}: UDP replies go back to each sender over IPv4 and IPv6, synchronously and in order, with the peer passed to the handler`, async () => {
    for (const [host, type] of [
      ['127.0.0.1', 'udp4'],
      ['::1', 'udp6'],
    ] as const) {
      const port = await freeDnsPort();
      const peers: string[] = [];
      const server = new DnsServer(
        (msg, _tcp, peer) => {
          peers.push(`${peer.address}:${peer.port}`);
          return Buffer.from([msg[0] ?? 0, 7]);
        },
        { host, port, tcpIdleMs: 5000, tcpMaxConnections: 2, udp, log: () => undefined },
      );
      await server.listen();
      const clients = [createSocket(type), createSocket(type)];
      try {
        const got: string[][] = [[], []];
        clients.forEach((c, i) => c.on('message', (m) => got[i]?.push(`${m[0]}/${m[1]}`)));
        for (let n = 0; n < 20; n++) clients[n % 2]?.send(Buffer.from([n, 0]), port, host);
        await waitFor(`${type}: all 20 replies`, () => (got[0]?.length ?? 0) + (got[1]?.length ?? 0) === 20, 2000);
        assert.deepEqual(
          got[0],
          Array.from({ length: 10 }, (_, i) => `${2 * i}/7`),
          'each client gets its own replies',
        );
        assert.deepEqual(
          got[1],
          Array.from({ length: 10 }, (_, i) => `${2 * i + 1}/7`),
        );
        const ports = clients.map((c) => c.address().port);
        assert.deepEqual(new Set(peers), new Set(ports.map((p) => `${host}:${p}`)));
      } finally {
        for (const c of clients) c.close();
        await server.close();
      }
    }
  });

for (const udp of MODES)
  test(`${udp}: replies that come later (a promise) reach their own sender with their own query, while later batches reuse nothing of theirs`, async () => {
    const port = await freeDnsPort();
    const server = new DnsServer(
      (msg, _tcp, peer) => {
        // Every third message is answered after a delay, the others at once; the reply echoes the
        // whole query and the sender's port as the handler saw them.
        const echo = (): Buffer => Buffer.concat([Buffer.from(`${peer.port}:`), msg]);
        if ((msg[0] as number) % 3 === 0)
          return new Promise((resolve) => setTimeout(() => resolve(echo()), 5 + ((msg[1] as number) % 20)));
        return echo();
      },
      { host: '127.0.0.1', port, tcpIdleMs: 5000, tcpMaxConnections: 2, udp, log: () => undefined },
    );
    await server.listen();
    const clients = [createSocket('udp4'), createSocket('udp4'), createSocket('udp4')];
    try {
      await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.bind(0, '127.0.0.1', resolve))));
      const got = new Map<string, string>();
      clients.forEach((c) =>
        c.on('message', (m) => {
          const text = m.toString('latin1');
          got.set(text.slice(text.indexOf(':') + 1), `${c.address().port}|${text}`);
        }),
      );
      const sent: Array<[number, string]> = [];
      for (let n = 0; n < 600; n++) {
        const client = clients[n % 3] as (typeof clients)[number];
        const query = Buffer.from(
          `${String.fromCharCode(n % 251, n % 199)}query-${n}-${'x'.repeat(n % 300)}`,
          'latin1',
        );
        sent.push([client.address().port, query.toString('latin1')]);
        client.send(query, port, '127.0.0.1');
        if (n % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await waitFor('all 600 replies', () => got.size === 600, 5000);
      for (const [clientPort, query] of sent)
        assert.equal(got.get(query), `${clientPort}|${clientPort}:${query}`, 'reply to the sender, with its own query');
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });

test('batch: a port already bound fails listen with the same words as dgram (bind EADDRINUSE)', async () => {
  const first = new DnsServer(() => undefined, {
    host: '127.0.0.1',
    port: 0,
    tcpIdleMs: 5000,
    tcpMaxConnections: 2,
    udp: 'batch',
    log: () => undefined,
  });
  await first.listen();
  try {
    for (const udp of MODES) {
      const second = new DnsServer(() => undefined, {
        host: '127.0.0.1',
        port: first.port,
        tcpIdleMs: 5000,
        tcpMaxConnections: 2,
        udp,
        log: () => undefined,
      });
      await assert.rejects(second.listen(), /bind EADDRINUSE 127\.0\.0\.1/);
    }
  } finally {
    await first.close();
  }
});
