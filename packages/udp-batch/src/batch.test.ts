import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { BatchUdpSocket, batchUnavailable } from './index.js';

test('the addon loads here (scripts/setup.sh builds it)', () => {
  assert.equal(batchUnavailable(), undefined);
});

test('a burst of datagrams is read in batches (fewer recvmmsg calls than datagrams), each answered once', async () => {
  let handled = 0;
  const socket = BatchUdpSocket.open(
    { host: '127.0.0.1', port: 0, reusePort: false, receiveBuffer: 1 << 20, onError: (err) => assert.fail(err) },
    (msg) => {
      handled++;
      return Buffer.from(msg);
    },
  );
  const client = createSocket('udp4');
  try {
    const replies: number[] = [];
    client.on('message', (m) => replies.push(m.readUInt16BE(0)));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    // Five bursts of 100, each sent while the event loop is busy here, so the datagrams wait in the
    // socket's queue together (bursts, not 500 at once: the client's own receive buffer holds ~250 replies).
    for (let burst = 0; burst < 5; burst++) {
      for (let n = burst * 100; n < (burst + 1) * 100; n++) {
        const m = Buffer.alloc(2);
        m.writeUInt16BE(n);
        client.send(m, socket.port, '127.0.0.1');
      }
      const deadline = Date.now() + 5000;
      while (replies.length < (burst + 1) * 100 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(
      [...replies].sort((a, b) => a - b),
      Array.from({ length: 500 }, (_, i) => i),
    );
    const stats = socket.stats();
    assert.equal(stats.datagrams, 500);
    assert.equal(handled, 500);
    assert.ok(stats.batches < 250, `${stats.batches} recvmmsg calls for 500 datagrams`);
    assert.equal(stats.sendErrors + stats.sendDropped + stats.receiveErrors, 0);
  } finally {
    client.close();
    socket.close();
  }
});
