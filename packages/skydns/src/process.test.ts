import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeRecord, leafLabel, nameToKey, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { EtcdServer, ManagedProcess, freeDnsPort, freePort, requireTool, waitFor, dig } from '@kube-dns-legacy/testkit';
import dns2 from 'dns2';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SVC = 'svc.cluster.local.';
const kube = (host: string, port?: number): SkyRecord => ({
  host,
  ...(port === undefined ? {} : { port }),
  priority: 10,
  weight: 10,
  ttl: 30,
});

let etcd: EtcdServer;
let upstream: ManagedProcess;
let skydns: ManagedProcess;
let port: number;
let upstreamPort: number;
let metricsPort: number;

/** Write a record as kube2sky does: the exact JSON, under its FNV-1a leaf (or the given label). */
async function put(name: string, record: SkyRecord, label?: string): Promise<string> {
  const value = encodeRecord(record);
  const key = `${nameToKey(name)}/${label ?? leafLabel(value)}`;
  await etcd.etcdctl('put', key, value);
  return key;
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
  return new ManagedProcess(name, process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env } });
}

const soa = (): string =>
  `cluster.local. 60 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ${Math.floor(Date.now() / 3_600_000) * 3600} 28800 7200 604800 60`;

before(async () => {
  requireTool('dig');
  requireTool('busybox');
  etcd = await EtcdServer.start();
  await put(`kubernetes.default.${SVC}`, kube('10.0.0.1'));
  await put(`_https._tcp.kubernetes.default.${SVC}`, kube(`kubernetes.default.${SVC}`, 443));
  await put(`web.default.${SVC}`, kube('10.244.1.5'), 'web-0');
  await put(`web.default.${SVC}`, kube('10.244.2.7'));
  await put(`v6.default.${SVC}`, kube('fd00::5'));
  await put('version.cluster.local.', { text: '1.1.0', ttl: 28800 });
  await etcd.etcdctl('put', '/skydns/arpa/in-addr/10/0/0/1', encodeRecord(kube(`kubernetes.default.${SVC}`)));
  for (let i = 0; i < 40; i++) await put(`big.default.${SVC}`, kube(`10.9.0.${i + 1}`));
  await put('www.example.org.', { host: '192.0.2.10', ttl: 120 });
  await put('ext.cluster.local.', { host: 'www.example.org.' });

  upstreamPort = await freeDnsPort();
  upstream = start('upstream skydns', [
    `-machines=${etcd.endpoint}`,
    `-addr=127.0.0.1:${upstreamPort}`,
    '-domain=example.org.',
    '-no-rec',
  ]);
  await upstream.waitForOutput(/ready for queries on example\.org\. for udp/);

  port = await freeDnsPort();
  metricsPort = await freePort();
  const deadPort = await freeDnsPort();
  // The manifest's flags, with loopback values; a dead first upstream shows the fall-through to the next.
  skydns = start(
    'skydns',
    [
      `-machines=${etcd.endpoint}`,
      `-addr=127.0.0.1:${port}`,
      '-ns-rotate=false',
      '-domain=cluster.local.',
      `-nameservers=127.0.0.1:${deadPort},127.0.0.1:${upstreamPort}`,
      '-rtimeout=300ms',
      '-rcache=100',
      '-tcp-idle-timeout=1s',
    ],
    { PROMETHEUS_PORT: String(metricsPort) },
  );
  await skydns.waitForOutput(/ready for queries on cluster\.local\. for udp/);
  await waitFor(
    'records loaded',
    async () => (await dig(port, `kubernetes.default.${SVC}`)).answer.length === 1,
    10_000,
  );
});

after(async () => {
  const code = await skydns?.stop('SIGTERM');
  await upstream?.stop('SIGTERM');
  await etcd?.stop();
  assert.equal(code, 0, `skydns exits 0 on SIGTERM; output:\n${skydns?.output}`);
});

test('dig: A, AAAA, SRV with glue, PTR, TXT, NXDOMAIN with the SOA, over UDP and TCP', async () => {
  const a = await dig(port, `kubernetes.default.${SVC}`, 'A');
  assert.equal(a.status, 'NOERROR');
  assert.deepEqual(a.flags, ['qr', 'aa', 'rd', 'ra']);
  assert.deepEqual(a.answer, [`kubernetes.default.${SVC} 30 IN A 10.0.0.1`]);
  assert.deepEqual(a.authority, []);
  const aaaa = await dig(port, `v6.default.${SVC}`, 'AAAA');
  assert.deepEqual(aaaa.answer, [`v6.default.${SVC} 30 IN AAAA fd00::5`]);
  const nodata = await dig(port, `kubernetes.default.${SVC}`, 'AAAA');
  assert.equal(nodata.status, 'NOERROR');
  assert.deepEqual(nodata.answer, []);
  assert.deepEqual(nodata.authority, [soa()]);
  const srv = await dig(port, `_https._tcp.kubernetes.default.${SVC}`, 'SRV');
  assert.deepEqual(srv.answer, [
    `_https._tcp.kubernetes.default.${SVC} 30 IN SRV 10 100 443 kubernetes.default.${SVC}`,
  ]);
  assert.deepEqual(srv.additional, [`kubernetes.default.${SVC} 30 IN A 10.0.0.1`]);
  const ptr = await dig(port, '-x', '10.0.0.1');
  assert.deepEqual(ptr.answer, [`1.0.0.10.in-addr.arpa. 30 IN PTR kubernetes.default.${SVC}`]);
  assert.ok(!ptr.flags.includes('aa'), 'PTR answers are not authoritative (as SkyDNS)');
  const txt = await dig(port, 'version.cluster.local.', 'TXT');
  assert.deepEqual(txt.answer, ['version.cluster.local. 28800 IN TXT "1.1.0"']);
  const nx = await dig(port, `nosuch.default.${SVC}`, 'A');
  assert.equal(nx.status, 'NXDOMAIN');
  assert.deepEqual(nx.flags, ['qr', 'aa', 'rd', 'ra']);
  assert.deepEqual(nx.authority, [soa()]);
  const tcp = await dig(port, '+tcp', `KUBERNETES.default.${SVC}`, 'A');
  assert.deepEqual(tcp.answer, [`KUBERNETES.default.${SVC} 30 IN A 10.0.0.1`], '0x20 case echoed');
  const headless = await dig(port, `web.default.${SVC}`, 'A');
  assert.deepEqual(headless.answer.sort(), [
    `web.default.${SVC} 30 IN A 10.244.1.5`,
    `web.default.${SVC} 30 IN A 10.244.2.7`,
  ]);
  const refused = await dig(port, `kubernetes.default.${SVC}`, 'ANY');
  assert.equal(refused.status, 'REFUSED');
});

test('dig: EDNS echoed and capped, truncation with TC over UDP, the whole answer over TCP', async () => {
  const edns = await dig(port, '+bufsize=4096', `kubernetes.default.${SVC}`);
  assert.equal(edns.ednsUdp, 1232);
  const plain = await dig(port, '+noedns', `kubernetes.default.${SVC}`);
  assert.equal(plain.ednsUdp, undefined, 'no OPT for a client without EDNS');
  const truncated = await dig(port, '+noedns', '+ignore', `big.default.${SVC}`);
  assert.ok(truncated.flags.includes('tc'), truncated.raw);
  assert.equal(truncated.answer.length, 0, 'no partial RRset');
  const fits = await dig(port, '+bufsize=1232', '+ignore', `big.default.${SVC}`);
  assert.ok(!fits.flags.includes('tc'));
  assert.equal(fits.answer.length, 40);
  const retried = await dig(port, '+noedns', `big.default.${SVC}`);
  assert.equal(retried.answer.length, 40, 'dig retries over TCP after TC');
});

test('busybox nslookup NAME 127.0.0.1:PORT', async () => {
  const { stdout } = await run('busybox', ['nslookup', `kubernetes.default.${SVC}`, `127.0.0.1:${port}`]);
  assert.match(stdout, /Server:\s+127\.0\.0\.1/);
  assert.match(stdout, /Name:\s+kubernetes\.default\.svc\.cluster\.local\s+Address: 10\.0\.0\.1/);
});

test('puts and deletes show up at once; bad values are skipped and counted', async () => {
  const key = await put(`new.default.${SVC}`, kube('10.0.0.77'));
  let started = Date.now();
  await waitFor(
    'new record answered',
    async () => (await dig(port, `new.default.${SVC}`)).answer.length === 1,
    2000,
    5,
  );
  const putMs = Date.now() - started;
  await etcd.etcdctl('del', key);
  started = Date.now();
  await waitFor(
    'deleted record gone',
    async () => (await dig(port, `new.default.${SVC}`)).status === 'NXDOMAIN',
    2000,
    5,
  );
  const delMs = Date.now() - started;
  assert.ok(putMs < 1500 && delMs < 1500, `put ${putMs} ms, delete ${delMs} ms (including one dig run)`);
  await etcd.etcdctl('put', `${nameToKey(`bad.default.${SVC}`)}/x`, '{"host":"10.0.0.9","ttl":"30"}');
  await waitFor(
    'bad value counted',
    async () =>
      /skydns_skydns_store_bad_values_total 1/.test(
        await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      ),
    3000,
  );
  assert.equal((await dig(port, `bad.default.${SVC}`)).status, 'NXDOMAIN');
  assert.deepEqual((await dig(port, `kubernetes.default.${SVC}`)).answer, [
    `kubernetes.default.${SVC} 30 IN A 10.0.0.1`,
  ]);
  assert.match(skydns.output, /skipped a value that skydns cannot serve/);
});

test('bad values written to etcd are never served: skipped, counted and warned about at most once per 10 s', async () => {
  const metric = async (): Promise<number> =>
    Number(
      /skydns_skydns_store_bad_values_total (\d+)/.exec(
        await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      )?.[1] ?? 'NaN',
    );
  const before = await metric();
  const warningsBefore = skydns.output.split('skipped a value that skydns cannot serve').length;
  const bad: Array<[string, string, SkyRecord]> = [
    [`_http._tcp.badport.default.${SVC}`, 'a', kube(`badport.default.${SVC}`, 70000)],
    [`badprio.default.${SVC}`, 'a', { host: 'target.example.org.', port: 80, priority: 65536 }],
    [`spaces.default.${SVC}`, 'a', { host: 'evil host.example.org' }],
    [`bang.default.${SVC}`, 'a', { host: 'evil!.example.org' }],
    [`quad.default.${SVC}`, 'a', kube('256.1.1.1')],
    [`zone.default.${SVC}`, 'a', kube('fe80::1%eth0')],
  ];
  for (const [name, label, record] of bad) await put(name, record, label);
  // The key kube2sky made from the pod IP ::ffff:10.244.9.7 (a segment with dots can never be asked for).
  await etcd.etcdctl('put', '/skydns/local/cluster/pod/default/--ffff-10.244.9.7/x', encodeRecord(kube('10.244.9.7')));
  // Good values beside them are served.
  await put(`goodport.default.${SVC}`, kube(`goodport.default.${SVC}`, 65535), 'a');
  await put(`mapped.default.${SVC}`, kube('::ffff:10.244.9.7'), 'a');
  await waitFor('seven bad values counted', async () => (await metric()) - before === 7, 5000, 50);
  assert.equal((await dig(port, `_http._tcp.badport.default.${SVC}`, 'SRV')).status, 'NXDOMAIN', 'no SRV port 4464');
  assert.equal((await dig(port, `badprio.default.${SVC}`, 'SRV')).status, 'NXDOMAIN');
  for (const name of ['spaces', 'bang', 'quad', 'zone']) {
    for (const type of ['A', 'AAAA', 'CNAME']) {
      const reply = await dig(port, `${name}.default.${SVC}`, type);
      assert.equal(reply.status, 'NXDOMAIN', `${name} ${type}: ${reply.answer.join(' | ')}`);
    }
  }
  assert.deepEqual((await dig(port, '*.default.pod.cluster.local.', 'SRV')).answer, [], 'not even through a wildcard');
  const srv = await dig(port, `goodport.default.${SVC}`, 'SRV');
  assert.deepEqual(srv.answer, [`goodport.default.${SVC} 30 IN SRV 10 100 65535 goodport.default.${SVC}`]);
  assert.deepEqual((await dig(port, `mapped.default.${SVC}`)).answer, [`mapped.default.${SVC} 30 IN A 10.244.9.7`]);
  const warnings = skydns.output.split('skipped a value that skydns cannot serve').length - warningsBefore;
  assert.ok(warnings <= 1, `${warnings} warnings for 7 bad values written within a second`);
  for (const [name, label] of bad) await etcd.etcdctl('del', `${nameToKey(name)}/${label}`);
  await etcd.etcdctl('del', '--prefix', '/skydns/local/cluster/pod/default/');
  await etcd.etcdctl('del', '--prefix', nameToKey(`goodport.default.${SVC}`));
  await etcd.etcdctl('del', '--prefix', nameToKey(`mapped.default.${SVC}`));
});

test('forwarding: the next server after a dead one, the response cache, SERVFAIL for names upstream refuses', async () => {
  const fwd = await dig(port, 'www.example.org.', 'A');
  assert.equal(fwd.status, 'NOERROR');
  assert.deepEqual(fwd.answer, ['www.example.org. 120 IN A 192.0.2.10']);
  const metric = async (pattern: RegExp): Promise<number> =>
    Number(pattern.exec(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text())?.[1] ?? 0);
  const forwardsOk = /skydns_skydns_dns_forward_count_total\{outcome="ok"\} (\d+)/;
  const cacheHits = /skydns_skydns_dns_cachehit_count_total\{cache="response"\} (\d+)/;
  const [forwardsBefore, hitsBefore] = [await metric(forwardsOk), await metric(cacheHits)];
  assert.ok(forwardsBefore >= 1);
  const cached = await dig(port, 'WWW.example.org.', 'A');
  assert.match(
    cached.answer[0] ?? '',
    /^WWW\.example\.org\. 1[12]\d IN A 192\.0\.2\.10$/,
    'case echoed, TTL counting down',
  );
  assert.equal(await metric(forwardsOk), forwardsBefore, 'served from the response cache, not forwarded again');
  assert.equal(await metric(cacheHits), hitsBefore + 1);
  const single = await dig(port, 'localhost.', 'A');
  assert.equal(single.status, 'SERVFAIL', 'one label is below ndots');
});

test('etcd killed and restarted: answers continue from the last good data, then catch up', async () => {
  await etcd.kill();
  try {
    const during = await dig(port, `kubernetes.default.${SVC}`);
    assert.deepEqual(during.answer, [`kubernetes.default.${SVC} 30 IN A 10.0.0.1`]);
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    assert.equal(health.status, 200);
  } finally {
    await etcd.resume();
  }
  await put(`later.default.${SVC}`, kube('10.0.0.88'));
  await waitFor(
    'caught up after etcd restart',
    async () => (await dig(port, `later.default.${SVC}`)).answer.length === 1,
    15_000,
    50,
  );
  const report = (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as {
    ready: boolean;
    records: number;
  };
  assert.equal(report.ready, true);
  assert.ok(report.records > 40);
});

test('a burst of malformed packets, then a correct answer', async () => {
  const socket = createSocket('udp4');
  const send = (b: Buffer): Promise<void> =>
    new Promise((resolve) => socket.send(b, port, '127.0.0.1', () => resolve()));
  const header = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  for (let i = 0; i < 3000; i++) {
    if (i % 3 === 0) await send(header);
    else {
      const junk = Buffer.alloc(1 + (i % 300));
      for (let j = 0; j < junk.length; j++) junk[j] = (i * 7 + j * 13) & 0xff;
      await send(junk);
    }
  }
  socket.close();
  await new Promise<void>((resolve) => {
    const c = connect(port, '127.0.0.1', () => {
      c.write(Buffer.concat([Buffer.from([0, 12]), header, Buffer.from([0xff, 0xff, 1, 2, 3])]));
      c.end(resolve);
    });
    c.on('error', () => resolve());
  });
  const ok = await dig(port, `kubernetes.default.${SVC}`);
  assert.deepEqual(ok.answer, [`kubernetes.default.${SVC} 30 IN A 10.0.0.1`]);
  assert.ok(skydns.alive);
});

test('before the first load: SERVFAIL (never NXDOMAIN), /healthz 503; every upstream failing gives SERVFAIL', async () => {
  const deadEtcd = await freePort();
  const p = await freeDnsPort();
  const mp = await freePort();
  const dead = await freeDnsPort();
  const lonely = start('skydns without etcd', [
    `-machines=http://127.0.0.1:${deadEtcd}`,
    `-addr=127.0.0.1:${p}`,
    '-domain=cluster.local.',
    `-nameservers=127.0.0.1:${dead}`,
    '-rtimeout=200ms',
    `-metrics-port=${mp}`,
  ]);
  try {
    await lonely.waitForOutput(/ready for queries/);
    const early = await dig(p, `kubernetes.default.${SVC}`);
    assert.equal(early.status, 'SERVFAIL');
    assert.equal((await fetch(`http://127.0.0.1:${mp}/healthz`)).status, 503);
    const failed = await dig(p, 'www.example.com.');
    assert.equal(failed.status, 'SERVFAIL');
    assert.match(lonely.output, /falling back to default configuration/);
  } finally {
    assert.equal(await lonely.stop('SIGTERM'), 0);
  }
});

test('bad flags: a clear message and a non-zero exit, never a stack trace', async () => {
  const bad = start('skydns bad flag', ['-addr=nowhere']);
  const code = await bad.exited;
  assert.equal(code, 2);
  assert.match(bad.output, /-addr "nowhere" must be an IP address and a port/);
  assert.doesNotMatch(bad.output, /at .*\.js:\d+/);
  const unreadable = start('skydns unreadable CA', [`-machines=${etcd.endpoint}`, '-ca-cert=/nonexistent/ca.pem']);
  assert.equal(await unreadable.exited, 2);
  assert.match(unreadable.output, /-ca-cert \/nonexistent\/ca\.pem: cannot read the file \(ENOENT\)/);
  const broken = await etcd.etcdctl('put', '/skydns/config', '{"ttl":');
  assert.ok(broken.includes('OK'));
  try {
    const p = await freeDnsPort();
    const cfg = start('skydns bad config', [`-machines=${etcd.endpoint}`, `-addr=127.0.0.1:${p}`]);
    assert.equal(await cfg.exited, 2);
    assert.match(cfg.output, /\/skydns\/config is not valid JSON/);
  } finally {
    await etcd.etcdctl('del', '/skydns/config');
  }
});

test('an empty -domain is a clear error (exit 2), not the root zone; config messages name the -path-prefix key; --version works', async () => {
  const empty = start('skydns empty domain', [
    `-machines=${etcd.endpoint}`,
    '-domain=',
    `-addr=127.0.0.1:${await freeDnsPort()}`,
  ]);
  let timer: NodeJS.Timeout | undefined;
  const stillRunning = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still running after 10 s'), 10_000);
  });
  const outcome = await Promise.race([empty.exited, stillRunning]);
  clearTimeout(timer);
  if (typeof outcome === 'string') await empty.stop('SIGKILL');
  assert.equal(outcome, 2);
  assert.match(empty.output, /-domain must name the domain to serve, e\.g\. cluster\.local\./);
  assert.doesNotMatch(empty.output, /ready for queries/);
  await etcd.etcdctl('put', '/dns/config', '{"ttl":"soon"}');
  try {
    const p = await freeDnsPort();
    const cfg = start('skydns other prefix', [
      `-machines=${etcd.endpoint}`,
      `-addr=127.0.0.1:${p}`,
      '-path-prefix=dns',
    ]);
    assert.equal(await cfg.exited, 2);
    assert.match(cfg.output, /\/dns\/config: "ttl" must be a non-negative integer/);
    assert.doesNotMatch(cfg.output, /\/skydns\/config/);
    await etcd.etcdctl('put', '/dns/config', '{"ttl":30}');
    const ok = start('skydns other prefix, good config', [
      `-machines=${etcd.endpoint}`,
      `-addr=127.0.0.1:${p}`,
      '-path-prefix=dns',
      '-domain=cluster.local.',
    ]);
    try {
      await ok.waitForOutput(/ready for queries/);
      assert.match(ok.output, /applied \/dns\/config from etcd/);
      assert.doesNotMatch(ok.output, /\/skydns\/config/);
    } finally {
      assert.equal(await ok.stop('SIGTERM'), 0);
    }
  } finally {
    await etcd.etcdctl('del', '/dns/config');
  }
  for (const flag of ['--version', '-version']) {
    const { stdout } = await run(process.execPath, [MAIN, flag]);
    assert.match(stdout, /^skydns server version: 2\.5\.3a/, flag);
  }
});

test('TCP: several queries on one connection, answered by ID; idle connections are closed', async () => {
  const frames = [1, 2, 3].map((id) => {
    const p = new dns2.Packet();
    p.header.id = id;
    p.header.rd = 1;
    p.questions.push(new dns2.Packet.Question(id === 2 ? `nosuch.default.${SVC}` : `kubernetes.default.${SVC}`, 1, 1));
    const body = p.toBuffer();
    const len = Buffer.alloc(2);
    len.writeUInt16BE(body.length);
    return Buffer.concat([len, body]);
  });
  const socket = connect(port, '127.0.0.1');
  let data = Buffer.alloc(0);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
  });
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  socket.write(Buffer.concat(frames));
  const replies = await waitFor(
    'three replies',
    () => {
      const out: dns2.Packet[] = [];
      let at = 0;
      while (at + 2 <= data.length && at + 2 + data.readUInt16BE(at) <= data.length) {
        out.push(dns2.Packet.parse(data.subarray(at + 2, at + 2 + data.readUInt16BE(at))));
        at += 2 + data.readUInt16BE(at);
      }
      return out.length === 3 ? out : undefined;
    },
    3000,
  );
  const byId = new Map(replies.map((r) => [r.header.id, r.header.rcode]));
  assert.deepEqual([...byId.entries()].sort(), [
    [1, 0],
    [2, 3],
    [3, 0],
  ]);
  const sentAt = Date.now();
  const closedAt = await closed;
  assert.ok(closedAt - sentAt < 3000, 'idle connection closed after -tcp-idle-timeout');
});

test('CNAME to a name outside the domain is resolved upstream; forwarding over TCP uses TCP', async () => {
  const ext = await dig(port, 'ext.cluster.local.', 'A');
  assert.deepEqual(ext.answer, [
    'ext.cluster.local. 60 IN CNAME www.example.org.',
    'www.example.org. 60 IN A 192.0.2.10',
  ]);
  const tcp = await dig(port, '+tcp', 'www.example.org.', 'A');
  assert.deepEqual(tcp.answer, ['www.example.org. 120 IN A 192.0.2.10']);
});

test('/skydns/config is applied even when etcd comes up a moment after skydns', async () => {
  await etcd.etcdctl('put', '/skydns/config', '{"min_ttl":7,"ttl":600}');
  await etcd.pause();
  const p = await freeDnsPort();
  const late = start('skydns before etcd', [
    `-machines=${etcd.endpoint}`,
    `-addr=127.0.0.1:${p}`,
    '-domain=cluster.local.',
    '-no-rec',
  ]);
  try {
    await new Promise((r) => setTimeout(r, 500));
    await etcd.resume();
    await late.waitForOutput(/applied \/skydns\/config from etcd/, 10_000);
    await waitFor(
      'records loaded',
      async () => (await dig(p, `kubernetes.default.${SVC}`)).answer.length === 1,
      10_000,
    );
    const nx = await dig(p, `nosuch.default.${SVC}`);
    assert.match(
      nx.authority[0] ?? '',
      /^cluster\.local\. 7 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 28800 7200 604800 7$/,
    );
  } finally {
    await etcd.etcdctl('del', '/skydns/config');
    assert.equal(await late.stop('SIGTERM'), 0);
  }
});
