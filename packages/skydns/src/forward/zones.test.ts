import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dns2 from 'dns2';
import {
  EtcdServer,
  dig,
  freeDnsPort,
  freePort,
  requireTool,
  startDnsmasq,
  waitFor,
  type ManagedProcess,
} from '@kube-dns-legacy/testkit';
import { startSkydns, type RunningSkydns } from '../app.js';
import { parseSkydnsArgs } from '../cli.js';
import { TreeBuilder } from '../testing.js';
import { STUB_LOOP_OPTION, hasLoopGuard, readStubZones, readUpstreams, stubFor, withLoopGuard } from './zones.js';

const { Packet } = dns2;

// Stub zones and the upstream override, as kube2sky writes them, through a real etcd watch, with
// dnsmasq serving the zones and dig as the client.

const STUB = '/skydns/local/cluster/dns/stub';
const UPSTREAM = '/skydns/local/cluster/dns/upstream';
const dir = mkdtempSync(join(tmpdir(), 'skydns-zones-'));
let etcd: EtcdServer;
let skydns: RunningSkydns;
const processes: ManagedProcess[] = [];
let acme: number;
let flagUpstream: number;
let configured: number;
/** What the dgram stub server saw: whether each question carried the loop-guard option. */
const guardSeen: boolean[] = [];
let probePort: number;

const a = async (name: string, ...args: string[]): Promise<string[]> =>
  (await dig(skydns.port, ...args, name, 'A')).answer;

before(async () => {
  requireTool('dig');
  etcd = await EtcdServer.start();
  const many = Array.from({ length: 120 }, (_, i) => [`10.150.1.${i + 1}`, 'many.acme.local'] as const);
  const stub = await startDnsmasq(dir, 'acme.local', [['10.150.0.5', 'www.acme.local'], ...many]);
  const flag = await startDnsmasq(dir, 'example.org', [['198.51.100.1', 'www.example.org']]);
  const other = await startDnsmasq(dir, 'example.net', [['203.0.113.1', 'www.example.org']]);
  processes.push(stub.process, flag.process, other.process);
  acme = stub.port;
  flagUpstream = flag.port;
  configured = other.port;
  // A stub server that records whether questions carry the loop guard.
  probePort = await freeDnsPort();
  const probe = createSocket('udp4');
  probe.on('message', (raw, from) => {
    const q = Packet.parse(raw);
    guardSeen.push(raw.includes(Buffer.from([STUB_LOOP_OPTION >> 8, STUB_LOOP_OPTION & 0xff, 0, 1, 1])));
    const r = Packet.createResponseFromRequest(q);
    r.answers.push(Object.assign(new Packet.Resource(q.questions[0]?.name ?? '', 1, 1, 30), { address: '192.0.2.9' }));
    probe.send(r.toBuffer(), from.port, from.address);
  });
  await new Promise<void>((resolve) => probe.bind(probePort, '127.0.0.1', resolve));
  processes.push({ stop: async () => probe.close() } as unknown as ManagedProcess);
  const config = parseSkydnsArgs(
    [
      `-machines=${etcd.endpoint}`,
      `-addr=127.0.0.1:${await freeDnsPort()}`,
      '-domain=cluster.local.',
      '-stubzones',
      '-ns-rotate=false',
      `-nameservers=127.0.0.1:${flagUpstream}`,
    ],
    {},
  );
  skydns = await startSkydns(config, () => undefined);
});

after(async () => {
  await skydns?.close();
  for (const p of processes) await p.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('-stubzones: a stub record sends its zone to its servers, with the loop guard; changes come through the watch', async () => {
  assert.deepEqual(await a('www.acme.local'), [], 'no stub yet: the flag upstream knows nothing of acme.local');
  await etcd.etcdctl('put', `${STUB}/local/acme/0`, JSON.stringify({ host: '127.0.0.1', port: acme }));
  await etcd.etcdctl('put', `${STUB}/test/probe/ns1`, JSON.stringify({ host: '127.0.0.1', port: probePort }));
  await waitFor('the stub zone', async () =>
    (await a('www.acme.local')).includes('www.acme.local. 30 IN A 10.150.0.5'),
  );
  assert.deepEqual(await a('x.probe.test'), ['x.probe.test. 30 IN A 192.0.2.9']);
  assert.deepEqual(guardSeen, [true], 'the question sent to the stub carried option 65011');
  // A question that already went through a stub zone is dropped (two stubs pointing at each other cannot loop).
  await assert.rejects(dig(skydns.port, '+time=1', `+ednsopt=${STUB_LOOP_OPTION}:01`, 'y.probe.test', 'A'));
  assert.equal(guardSeen.length, 1, 'the looping question did not go out again');
  // Stub replies follow the client's size limit like any other.
  const big = await dig(skydns.port, '+bufsize=4096', '+ignore', '+stats', 'many.acme.local', 'A');
  const size = Number(/MSG SIZE\s+rcvd: (\d+)/.exec(big.raw)?.[1]);
  assert.ok(big.flags.includes('tc') && size <= 1232, `${size} bytes, TC=${big.flags.includes('tc')}`);
  assert.equal((await dig(skydns.port, '+tcp', 'many.acme.local', 'A')).answer.length, 120);
  // Names in our own domain never go to a stub.
  await etcd.etcdctl('put', `${STUB}/local/cluster/svc/0`, JSON.stringify({ host: '127.0.0.1', port: probePort }));
  await etcd.etcdctl('put', '/skydns/local/cluster/svc/default/web/1', JSON.stringify({ host: '10.0.0.7' }));
  await waitFor('web', async () => (await a('web.default.svc.cluster.local')).length === 1);
  assert.equal(guardSeen.length, 1);
  await etcd.etcdctl('del', '--prefix', `${STUB}/`);
  await waitFor('the stub zone to go', async () => (await a('www.acme.local')).length === 0);
});

test('two skydns whose stub zones point at each other: the question goes round once, then SERVFAIL', async () => {
  const metricsPort = await freePort();
  const other = await startSkydns(
    parseSkydnsArgs(
      [
        `-machines=${etcd.endpoint}`,
        `-addr=127.0.0.1:${await freeDnsPort()}`,
        '-domain=other.local.',
        '-stubzones',
        '-rtimeout=1s',
        `-metrics-port=${metricsPort}`,
      ],
      {},
    ),
    () => undefined,
  );
  try {
    await etcd.etcdctl('put', `${STUB}/test/loop/0`, JSON.stringify({ host: '127.0.0.1', port: other.port }));
    await etcd.etcdctl(
      'put',
      '/skydns/local/other/dns/stub/test/loop/0',
      JSON.stringify({ host: '127.0.0.1', port: skydns.port }),
    );
    const loops = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return Number(/dns_error_count_total\{cause="stub-loop"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    await waitFor('both stubs', async () => {
      const r = await dig(skydns.port, '+time=4', 'x.loop.test', 'A');
      return r.status === 'SERVFAIL' && (await loops()) >= 1;
    });
    const before = await loops();
    const r = await dig(skydns.port, '+time=4', 'y.loop.test', 'A');
    assert.equal(r.status, 'SERVFAIL');
    assert.equal((await loops()) - before, 1, 'the other skydns dropped the question once, as a loop');
  } finally {
    await etcd.etcdctl('del', '--prefix', `${STUB}/test/loop`);
    await other.close();
  }
});

test('dns/upstream records override -nameservers while present; when gone, the flag applies again', async () => {
  assert.deepEqual(await a('www.example.org'), ['www.example.org. 30 IN A 198.51.100.1']);
  await etcd.etcdctl('put', `${UPSTREAM}/0`, JSON.stringify({ host: '127.0.0.1', port: configured }));
  await waitFor('the override', async () =>
    (await a('www.example.org')).includes('www.example.org. 30 IN A 203.0.113.1'),
  );
  // An unusable first record: the next one in order still serves.
  await etcd.etcdctl('put', `${UPSTREAM}/0`, JSON.stringify({ host: '127.0.0.1', port: await freeDnsPort() }));
  await etcd.etcdctl('put', `${UPSTREAM}/1`, JSON.stringify({ host: '127.0.0.1', port: configured }));
  await waitFor('the second override server', async () =>
    (await a('www.example.org', '+time=5')).includes('www.example.org. 30 IN A 203.0.113.1'),
  );
  await etcd.etcdctl('del', '--prefix', `${UPSTREAM}/`);
  await waitFor('the flag upstream again', async () =>
    (await a('www.example.org')).includes('www.example.org. 30 IN A 198.51.100.1'),
  );
});

test('stub and upstream records: zones named by their keys, longest first; unusable records skipped with a reason', () => {
  const b = new TreeBuilder();
  const put = (key: string, value: object): void => b.tree.setJson(key, JSON.stringify(value));
  put(`${STUB}/local/acme/0`, { host: '10.150.0.1' });
  put(`${STUB}/local/acme/1`, { host: 'fd00::1', port: 5353 });
  put(`${STUB}/local/acme/corp/ns`, { host: '10.150.0.2', port: 54 });
  put(`${STUB}/local/cluster/svc/0`, { host: '10.0.0.1' });
  put(`${STUB}/example/bad/0`, { host: 'ns1.example.' });
  put(`${UPSTREAM}/10`, { host: '10.0.0.12' });
  put(`${UPSTREAM}/2`, { host: '10.0.0.11', port: 5353 });
  put(`${UPSTREAM}/0`, { host: 'dns.example.' });
  const src = { store: b.tree, domain: 'cluster.local.', prefix: 'skydns' };
  const stubs = readStubZones(src);
  assert.deepEqual(stubs.value, [
    { zone: 'corp.acme.local.', servers: [{ host: '10.150.0.2', port: 54 }] },
    {
      zone: 'acme.local.',
      servers: [
        { host: '10.150.0.1', port: 53 },
        { host: 'fd00::1', port: 5353 },
      ],
    },
  ]);
  assert.deepEqual(
    stubs.skipped.map((s) => s.reason),
    ['host "ns1.example." is not an IP address', 'svc.cluster.local. is inside the served domain'],
  );
  assert.equal(stubFor(stubs.value, 'WWW.Corp.Acme.Local.')?.zone, 'corp.acme.local.');
  assert.equal(stubFor(stubs.value, 'xacme.local.'), undefined, 'label boundaries');
  const upstreams = readUpstreams(src);
  assert.deepEqual(upstreams.value, [
    { host: '10.0.0.11', port: 5353 },
    { host: '10.0.0.12', port: 53 },
  ]);
  assert.equal(upstreams.skipped.length, 1);
  // The loop guard is added to an existing OPT record, or in a new one.
  const plain = queryBytes(false);
  const guarded = withLoopGuard(plain);
  assert.ok(!hasLoopGuard(plain) && hasLoopGuard(guarded));
  assert.equal(guarded.readUInt16BE(10), 1);
  const edns = queryBytes(true);
  const guardedEdns = withLoopGuard(edns);
  assert.ok(hasLoopGuard(guardedEdns));
  assert.equal(guardedEdns.readUInt16BE(10), 1, 'still one OPT record');
  assert.equal(Packet.parse(guardedEdns).questions[0]?.name, 'www.acme.local');
});

function queryBytes(edns: boolean): Buffer {
  const p = new Packet();
  p.header.id = 7;
  p.questions.push(new Packet.Question('www.acme.local', 1, 1));
  if (edns) p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: 1232 }) as unknown as dns2.Packet.Resource);
  return p.toBuffer();
}
