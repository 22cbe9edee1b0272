import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreDns } from '@kube-dns-legacy/control-plane';
import {
  EtcdServer,
  ManagedProcess,
  freeDnsPort,
  requireTool,
  startDnsmasq,
  waitFor,
  type Dnsmasq,
} from '@kube-dns-legacy/testkit';
import { repoRoot } from '../src/pod.js';
import { QTYPE, udpQuery } from '../src/reliability-dns.js';
import type { Question } from './corpus.js';
import { assertEveryDifferenceIntended } from './differential.js';
import { COREDNS_STUB_ZONES } from './intended.js';

// Private zones: skydns -stubzones with the stub records written into etcd as kube2sky writes them
// (`…/dns/stub/<zone reversed>/<leaf>`), beside CoreDNS with one server block per zone that
// forwards it (`forward . <server>`, what CoreDNS users write for kube-dns's stubDomains). dnsmasq
// on loopback serves each private zone, and another one stands in for the upstream of every other
// name. Every difference is explained by an intended difference (intended.ts, docs/conformance.md).

const STUB = '/skydns/local/cluster/dns/stub';
/** A stub zone whose server is not listening. */
const DOWN = 'down.example';

const dir = mkdtempSync(join(tmpdir(), 'kdl-conformance-stub-'));
const servers: Dnsmasq[] = [];
let etcd: EtcdServer;
let skydns: ManagedProcess;
let skydnsPort: number;
let coredns: CoreDns;

/** Names under each zone (and outside them), by kind, asked as every type, with and without EDNS. */
function stubCorpus(): Question[] {
  const names: ReadonlyArray<readonly [string, string]> = [
    ['www.acme.local.', 'stub name'],
    ['WwW.AcMe.LoCaL.', 'stub name'],
    ['db.acme.local.', 'stub name'],
    ['many.acme.local.', 'stub name with 120 addresses'],
    ['_ldap._tcp.acme.local.', 'stub SRV'],
    ['nosuch.acme.local.', 'stub NXDOMAIN'],
    ['sub.www.acme.local.', 'stub NXDOMAIN'],
    ['acme.local.', 'stub apex'],
    ['api.corp.example.', 'second stub name'],
    ['nosuch.corp.example.', 'stub NXDOMAIN'],
    ['5.0.150.10.in-addr.arpa.', 'stub reverse'],
    ['9.9.150.10.in-addr.arpa.', 'stub reverse unknown'],
    ['www.example.org.', 'outside the stub zones'],
    ['www.notacme.local.', 'outside the stub zones'],
  ];
  const out: Question[] = [];
  for (const [name, kind] of names)
    for (const type of ['A', 'AAAA', 'SRV', 'TXT', 'PTR', 'NS', 'SOA'] as const)
      for (const udpSize of [undefined, 1232]) out.push({ name, type, kind, ...(udpSize ? { udpSize } : {}) });
  return out;
}

before(async () => {
  requireTool('dnsmasq');
  etcd = await EtcdServer.start();
  const acmeDir = join(dir, 'acme');
  const corpDir = join(dir, 'corp');
  const upDir = join(dir, 'upstream');
  for (const d of [acmeDir, corpDir, upDir]) mkdirSync(d);
  const many = Array.from({ length: 120 }, (_, i) => [`10.150.1.${i + 1}`, 'many.acme.local'] as const);
  const acme = await startDnsmasq(
    acmeDir,
    'acme.local',
    [['10.150.0.5', 'www.acme.local'], ['10.150.0.6', 'db.acme.local'], ['fd00:150::6', 'db.acme.local'], ...many],
    [{ name: '_ldap._tcp.acme.local', target: 'db.acme.local', port: 389 }],
  );
  servers.push(acme);
  const corp = await startDnsmasq(corpDir, 'corp.example', [['10.10.0.1', 'api.corp.example']]);
  servers.push(corp);
  const upstream = await startDnsmasq(upDir, 'example.org', [['198.51.100.1', 'www.example.org']]);
  servers.push(upstream);
  const down = await freeDnsPort();
  const stubs: ReadonlyArray<readonly [string, string, number]> = [
    ['acme.local', 'local/acme', acme.port],
    ['corp.example', 'example/corp', corp.port],
    ['150.10.in-addr.arpa', 'arpa/in-addr/10/150', acme.port],
    [DOWN, 'example/down', down],
  ];
  for (const [, key, port] of stubs)
    await etcd.etcdctl('put', `${STUB}/${key}/ns1`, JSON.stringify({ host: '127.0.0.1', port }));
  skydnsPort = await freeDnsPort();
  skydns = new ManagedProcess('skydns', process.execPath, [
    join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'),
    `-machines=${etcd.endpoint}`,
    `-addr=127.0.0.1:${skydnsPort}`,
    '-ns-rotate=false',
    '-domain=cluster.local.',
    `-nameservers=127.0.0.1:${upstream.port}`,
    '-stubzones',
  ]);
  await skydns.waitForOutput(/ready for queries/, 30_000);
  coredns = await CoreDns.startBlocks([
    ...stubs.map(([zone, , port]) => ({ zones: [zone], plugins: `forward . 127.0.0.1:${port}` })),
    { zones: ['.'], plugins: `forward . 127.0.0.1:${upstream.port}` },
  ]);
  for (const port of [skydnsPort, coredns.port])
    await waitFor(
      `port ${port} to answer from the stub zones`,
      async () =>
        (await udpQuery(port, 'api.corp.example.', QTYPE.A, 500).catch(() => undefined))?.answers.length === 1 &&
        (await udpQuery(port, 'www.acme.local.', QTYPE.A, 500).catch(() => undefined))?.answers.length === 1,
      30_000,
      200,
    );
});

after(async () => {
  await coredns?.stop();
  await skydns?.stop();
  for (const s of servers) await s.process.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a stub zone whose server does not answer: SERVFAIL from both', async () => {
  for (const port of [skydnsPort, coredns.port])
    assert.equal((await udpQuery(port, `www.${DOWN}.`, QTYPE.A, 10_000)).rcode, 'SERVFAIL', `port ${port}`);
});

test('CoreDNS forward per zone and skydns -stubzones: every difference is intended', async () => {
  await assertEveryDifferenceIntended({
    label: 'CoreDNS forward per zone',
    ours: skydnsPort,
    theirs: coredns.port,
    corpus: stubCorpus(),
    intended: COREDNS_STUB_ZONES,
    minAsked: 300,
    limit: 200,
  });
});
