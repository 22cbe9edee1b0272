import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecord, nameToKey } from '@kube-dns-legacy/skymsg';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { Cluster, putRecord, startSkydns, type Skydns } from './reliability-cluster.js';
import { QTYPE, tcpQuery, udpQuery } from './reliability-dns.js';
import { bulkPut } from './reliability-scale.js';

// Store abuse: values that are not JSON or have wrong types, and megabyte values: skipped and counted,
// or answered within the transport's limit, without blocking other questions. (100,000 keys under one
// name and a wildcard over the whole tree: reliability-scale.ts, run by `npm run soak`.)

const GOOD = 'kubernetes.default.svc.cluster.local.';

let etcd: EtcdServer;
let skydns: Skydns;

const good = async (): Promise<void> => {
  const reply = await udpQuery(skydns.port, GOOD, QTYPE.A, 2_000);
  assert.equal(reply.answers.map((a) => a.data).join(), '10.0.0.1');
};

before(async () => {
  etcd = await EtcdServer.start();
  await putRecord(etcd, GOOD, { host: '10.0.0.1', priority: 10, weight: 10, ttl: 30 });
  skydns = await startSkydns(etcd.endpoint);
});

after(async () => {
  await skydns?.process.stop();
  await etcd?.stop();
});

test('values that are not JSON, have wrong types or are a megabyte long are skipped or capped, counted, and never block', async () => {
  const bad = (): Promise<number> => Cluster.metric(skydns.metricsPort, 'skydns_skydns_store_bad_values_total');
  const before = await bad();
  const base = nameToKey('bad.default.svc.cluster.local.');
  const mega = 'x'.repeat(1_000_000);
  await bulkPut(etcd, [
    [`${base}/notjson`, 'this is {not json'],
    [`${base}/array`, '[1,2,3]'],
    [`${base}/types`, '{"host":10,"port":"80","ttl":-1}'],
    [`${base}/null`, 'null'],
    [`${base}/megagarbage`, mega],
  ]);
  await waitFor('five bad values counted', async () => (await bad()) - before >= 5, 10_000, 100);
  await good();
  assert.equal((await udpQuery(skydns.port, 'bad.default.svc.cluster.local.', QTYPE.A)).answers.length, 0, 'nothing answered from bad values');

  // Valid JSON, but a megabyte long: a host name that is not a name, and a TXT record of a megabyte.
  await bulkPut(etcd, [[`${nameToKey('megahost.default.svc.cluster.local.')}/x`, encodeRecord({ host: mega })]]);
  await bulkPut(etcd, [[`${nameToKey('megatext.default.svc.cluster.local.')}/x`, encodeRecord({ text: mega })]]);
  await waitFor('the megabyte TXT record loaded', async () => (await udpQuery(skydns.port, 'megatext.default.svc.cluster.local.', QTYPE.TXT)).truncated, 10_000, 100);
  for (const name of ['megahost.default.svc.cluster.local.', 'megatext.default.svc.cluster.local.']) {
    for (const type of [QTYPE.A, QTYPE.TXT, QTYPE.SRV]) {
      const started = Date.now();
      const udp = await udpQuery(skydns.port, name, type, 3_000);
      const tcp = await tcpQuery(skydns.port, name, type, 5_000);
      assert.ok(udp.size <= 512, `UDP reply within 512 bytes (${udp.size})`);
      assert.ok(tcp.size <= 65535, `TCP reply within 65535 bytes (${tcp.size})`);
      assert.notEqual(udp.rcode, 'SERVFAIL', `${name} type ${type}`);
      assert.ok(Date.now() - started < 2_000, `answered in ${Date.now() - started} ms`);
    }
  }
  await good();
  assert.ok(skydns.process.alive);
});
