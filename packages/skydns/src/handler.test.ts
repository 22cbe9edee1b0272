import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import type { DnsHandler, HandlerOptions } from './handler.js';
import { TreeBuilder, kubeA, testHandler } from './testing.js';

const { Packet } = dns2;
const SVC = 'svc.cluster.local.';
const PEER = { address: '127.0.0.1', port: 5353 };

function query(
  name: string,
  type: number,
  options: { id?: number; edns?: number; do?: boolean; rd?: boolean } = {},
): Buffer {
  const packet = new Packet();
  packet.header.id = options.id ?? 4242;
  packet.header.rd = options.rd === false ? 0 : 1;
  packet.questions.push(new Packet.Question(name, type, 1));
  if (options.edns !== undefined) {
    packet.additionals.push(
      Packet.Resource.EDNS([], {
        udpPayloadSize: options.edns,
        doFlag: options.do ?? false,
      }) as unknown as dns2.Packet.Resource,
    );
  }
  return packet.toBuffer();
}

function handler(builder: TreeBuilder, overrides: Partial<HandlerOptions> = {}): DnsHandler {
  return testHandler(builder.tree, overrides);
}

function cluster(): TreeBuilder {
  const b = new TreeBuilder();
  b.leaf(`kubernetes.default.${SVC}`, kubeA('10.0.0.1'));
  b.leaf(`_https._tcp.kubernetes.default.${SVC}`, {
    host: `kubernetes.default.${SVC}`,
    port: 443,
    priority: 10,
    weight: 10,
    ttl: 30,
  });
  for (let i = 0; i < 50; i++) b.leaf(`big.default.${SVC}`, kubeA(`10.1.${Math.floor(i / 250)}.${i % 250}`));
  for (let i = 0; i < 3; i++) b.leaf(`three.default.${SVC}`, kubeA(`10.3.0.${i + 1}`));
  return b;
}

async function ask(h: DnsHandler, msg: Buffer, tcp = false): Promise<dns2.Packet> {
  const reply = await h.handle(msg, tcp, PEER);
  assert.ok(reply, 'a reply');
  return Packet.parse(reply);
}

test('answers from the tree; ID, RD, 0x20 case and EDNS echoed; cached copies are patched per query', async () => {
  const h = handler(cluster());
  const first = await ask(h, query(`kubernetes.default.${SVC}`, 1, { id: 1 }));
  assert.equal(first.header.id, 1);
  assert.equal(first.header.qr, 1);
  assert.equal(first.header.aa, 1);
  assert.equal(first.header.rd, 1);
  assert.deepEqual(
    first.answers.map((a) => [a.name, a.ttl, (a as unknown as { address: string }).address]),
    [[`kubernetes.default.svc.cluster.local`, 30, '10.0.0.1']],
  );
  assert.equal(first.additionals.length, 0, 'no OPT for a client without EDNS');
  const mixed = await ask(h, query(`KuBeRnEtEs.DEFAULT.${SVC}`, 1, { id: 2, edns: 4096, rd: false }));
  assert.equal(h.answers.size, 2, 'EDNS queries have their own entry');
  assert.equal(mixed.header.id, 2);
  assert.equal(mixed.header.rd, 0);
  assert.equal(mixed.questions[0]?.name, 'KuBeRnEtEs.DEFAULT.svc.cluster.local');
  assert.equal(mixed.answers[0]?.name, 'KuBeRnEtEs.DEFAULT.svc.cluster.local');
  const opt = mixed.additionals.find((r) => r.type === 41) as unknown as { class: number };
  assert.equal(opt.class, 1232, 'OPT echoed with our payload size');
  const again = await ask(h, query(`kubernetes.DEFAULT.${SVC}`, 1, { id: 3, edns: 4096 }));
  assert.equal(again.header.id, 3);
  assert.equal(again.answers[0]?.name, 'kubernetes.DEFAULT.svc.cluster.local');
});

test('round robin rotates cached address records; records changing empties the cache', async () => {
  const b = cluster();
  const h = handler(b);
  const orders = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const reply = await ask(h, query(`three.default.${SVC}`, 1));
    orders.add(reply.answers.map((a) => (a as unknown as { address: string }).address).join(','));
  }
  assert.equal(orders.size, 3, `three distinct orders: ${[...orders].join(' | ')}`);
  b.leaf(`kubernetes.default.${SVC}`, kubeA('10.0.0.2'));
  h.recordsChanged(['/skydns/local/cluster/svc/default/kubernetes/x']);
  assert.equal(h.answers.size, 0);
  const reply = await ask(h, query(`kubernetes.default.${SVC}`, 1));
  assert.equal(reply.answers.length, 2);
});

test('UDP truncation at RRset boundaries with TC=1; TCP gets everything; glue dropped first without TC', async () => {
  const h = handler(cluster());
  const small = await ask(h, query(`big.default.${SVC}`, 1));
  assert.equal(small.header.tc, 1);
  assert.equal(small.answers.length, 0);
  const large = await ask(h, query(`big.default.${SVC}`, 1, { edns: 4096 }));
  assert.equal(large.header.tc, 0);
  assert.equal(large.answers.length, 50);
  const tcp = await ask(h, query(`big.default.${SVC}`, 1), true);
  assert.equal(tcp.header.tc, 0);
  assert.equal(tcp.answers.length, 50);
});

test('over TCP an RRset too big for 64 KiB is answered in part with TC=1, never empty', async () => {
  const b = cluster();
  for (let i = 0; i < 4000; i++) b.leaf(`huge.default.${SVC}`, kubeA(`fd00::${i.toString(16)}`));
  const h = handler(b);
  const reply = await h.handle(query(`huge.default.${SVC}`, 28), true, PEER);
  assert.ok(reply);
  assert.ok(reply.length <= 65535, `${reply.length} bytes fit a TCP message`);
  const tcp = Packet.parse(reply);
  assert.equal(tcp.header.tc, 1);
  assert.ok(tcp.answers.length > 2000 && tcp.answers.length < 4000, `${tcp.answers.length} of 4000 records`);
  assert.ok(tcp.answers.every((a) => a.name === `huge.default.svc.cluster.local` && a.type === 28));
  const udp = await ask(h, query(`huge.default.${SVC}`, 28));
  assert.equal(udp.header.tc, 1);
  assert.equal(udp.answers.length, 0, 'UDP keeps whole RRsets: the client retries over TCP');
});

test('malformed input: drop, FORMERR, NOTIMP; 12-byte headers with 0xFFFF counts answered at once', async () => {
  const h = handler(cluster());
  assert.equal(await h.handle(Buffer.alloc(5), false, PEER), undefined, 'runt dropped');
  const response = query(`kubernetes.default.${SVC}`, 1);
  response[2] = 0x80;
  assert.equal(await h.handle(response, false, PEER), undefined, 'responses dropped');
  const huge = Buffer.from([0x12, 0x34, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const started = Date.now();
  const formerr = await h.handle(huge, false, PEER);
  assert.ok(Date.now() - started < 200, 'answered without parsing 65535 records');
  assert.ok(formerr);
  assert.equal(formerr.readUInt16BE(0), 0x1234);
  assert.equal(formerr[3]! & 0xf, 1, 'FORMERR');
  const notify = query(`kubernetes.default.${SVC}`, 1);
  notify[2] = (notify[2]! & 0x87) | (4 << 3);
  const notimp = await h.handle(notify, false, PEER);
  assert.equal(notimp![3]! & 0xf, 4, 'NOTIMP');
  const pointer = Buffer.concat([
    Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0xc0, 0x0c, 0, 1, 0, 1]),
  ]);
  assert.equal((await h.handle(pointer, false, PEER))![3]! & 0xf, 1, 'compressed question name is FORMERR');
  const v1 = query(`kubernetes.default.${SVC}`, 1, { edns: 1232 });
  v1[v1.length - 5] = 1;
  const badvers = await ask(h, v1);
  assert.equal(badvers.header.rcode, 16, 'EDNS version 1 gets BADVERS');
  assert.equal(badvers.answers.length, 0);
  const slash = await ask(h, query(`a/b.default.${SVC}`, 1));
  assert.equal(slash.header.rcode, 3, 'a label with a slash cannot exist');
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.alloc(12 + (i % 40));
    for (let j = 0; j < junk.length; j++) junk[j] = (i * 31 + j * 17) & 0xff;
    junk[2] = junk[2]! & 0x7f;
    await h.handle(junk, i % 2 === 0, PEER);
  }
  const ok = await ask(h, query(`kubernetes.default.${SVC}`, 1));
  assert.equal(ok.answers.length, 1);
});

test('forwarding refusals: -no-rec, ndots and no servers give SERVFAIL at once', async () => {
  const noRec = handler(cluster(), {
    noRec: true,
    forward: { servers: [{ host: '127.0.0.1', port: 9 }], rotate: false, timeoutMs: 100 },
  });
  const a = await ask(noRec, query('www.example.com.', 1));
  assert.equal(a.header.rcode, 2);
  assert.equal(a.header.ra, 0);
  const h = handler(cluster());
  const b = await ask(h, query('localhost.', 1));
  assert.equal(b.header.rcode, 2);
  assert.equal(b.header.ra, 1);
  const c = await ask(h, query('www.example.com.', 1));
  assert.equal(c.header.rcode, 2);
});

test('answerCache false: every query is resolved and encoded, nothing is kept, answers are the same', async () => {
  const cached = handler(cluster());
  const uncached = handler(cluster(), { answerCache: false });
  for (let i = 0; i < 3; i++) {
    const a = await ask(cached, query(`kubernetes.default.${SVC}`, 1, { id: 7 }));
    const b = await ask(uncached, query(`kubernetes.default.${SVC}`, 1, { id: 7 }));
    assert.deepEqual(b.answers, a.answers);
    assert.equal(b.header.id, 7);
  }
  const missing = await ask(uncached, query(`nope.default.${SVC}`, 1));
  assert.equal(missing.header.rcode, 3);
  assert.equal(cached.answers.size, 1);
  assert.equal(uncached.answers.size, 0);
});
