import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRr } from '../rr.js';
import { TreeBuilder, kubeA, testContext } from '../testing.js';
import { resolveQuery, CLASS_CHAOS } from './index.js';
import type { ResolveContext } from './context.js';
import { splitText } from './txt.js';
import { completeExternal } from './answer.js';

const TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  ANY: 255,
  HINFO: 13,
};
const SERIAL = Date.UTC(2026, 0, 1, 12) / 1000;
const SOA = `cluster.local. 60 SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL} 28800 7200 604800 60`;
const SVC = 'svc.cluster.local.';

/** The cluster kube2sky would write: kubernetes, kube-dns, headless web, a pod, plus hand-written records. */
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
  b.leaf(`kube-dns.kube-system.${SVC}`, kubeA('10.0.0.10'));
  b.leaf(`_dns._udp.kube-dns.kube-system.${SVC}`, {
    host: `kube-dns.kube-system.${SVC}`,
    port: 53,
    priority: 10,
    weight: 10,
    ttl: 30,
  });
  b.leaf(`web.default.${SVC}`, kubeA('10.244.1.5'), 'web-0');
  b.leaf(`web.default.${SVC}`, kubeA('10.244.2.7'));
  b.leaf(
    `_http._tcp.web.default.${SVC}`,
    { host: `web-0.web.default.${SVC}`, port: 8080, priority: 10, weight: 10, ttl: 30 },
    'web-0',
  );
  b.leaf(
    `_http._tcp.web.default.${SVC}`,
    { host: `c89ee3.web.default.${SVC}`, port: 8080, priority: 10, weight: 10, ttl: 30 },
    'c89ee3',
  );
  b.leaf('10-1-2-3.default.pod.cluster.local.', kubeA('10.1.2.3'));
  return b;
}

interface Reply {
  rcode: string;
  aa: boolean;
  forward: boolean;
  answer: string[];
  authority: string[];
  additional: string[];
  external: string[];
}

function ask(ctx: ResolveContext, name: string, type: string, qclass = 1): Reply {
  const r = resolveQuery(ctx, { name, type: TYPES[type] ?? 0, qclass });
  return {
    rcode: r.rcode,
    aa: r.aa,
    forward: r.forward,
    answer: r.answer.map(formatRr),
    authority: r.authority.map(formatRr),
    additional: r.additional.map(formatRr),
    external: r.external.map((e) => `${e.cname.target} ${e.type}`),
  };
}

interface Case {
  name: string;
  type: string;
  rcode?: string;
  aa?: boolean;
  answer?: string[];
  authority?: string[];
  additional?: string[];
  forward?: boolean;
  external?: string[];
}

function check(ctx: ResolveContext, cases: Case[]): void {
  for (const c of cases) {
    const got = ask(ctx, c.name, c.type);
    const label = `${c.type} ${c.name}`;
    assert.equal(got.rcode, c.rcode ?? 'NOERROR', `${label}: rcode`);
    if (c.aa !== undefined) assert.equal(got.aa, c.aa, `${label}: aa`);
    assert.equal(got.forward, c.forward ?? false, `${label}: forward`);
    if (c.answer !== undefined) assert.deepEqual(got.answer, c.answer, `${label}: answer`);
    if (c.authority !== undefined) assert.deepEqual(got.authority, c.authority, `${label}: authority`);
    if (c.additional !== undefined) assert.deepEqual(got.additional, c.additional, `${label}: additional`);
    assert.deepEqual(got.external, c.external ?? [], `${label}: external`);
  }
}

test('worked examples on kube2sky data (reference §2.17)', () => {
  const ctx = testContext(cluster().tree);
  check(ctx, [
    {
      name: `kubernetes.default.${SVC}`,
      type: 'A',
      aa: true,
      answer: [`kubernetes.default.${SVC} 30 A 10.0.0.1`],
      authority: [],
      additional: [],
    },
    {
      name: `_https._tcp.kubernetes.default.${SVC}`,
      type: 'SRV',
      answer: [`_https._tcp.kubernetes.default.${SVC} 30 SRV 10 100 443 kubernetes.default.${SVC}`],
      additional: [`kubernetes.default.${SVC} 30 A 10.0.0.1`],
    },
    {
      name: `kubernetes.default.${SVC}`,
      type: 'SRV',
      answer: [
        `kubernetes.default.${SVC} 30 SRV 10 50 443 kubernetes.default.${SVC}`,
        `kubernetes.default.${SVC} 30 SRV 10 50 0 c88f1059.kubernetes.default.${SVC}`,
      ],
      additional: [`kubernetes.default.${SVC} 30 A 10.0.0.1`, `c88f1059.kubernetes.default.${SVC} 30 A 10.0.0.1`],
    },
    { name: `kubernetes.default.${SVC}`, type: 'AAAA', aa: true, answer: [], authority: [SOA] },
    { name: `nosuch.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', aa: true, answer: [], authority: [SOA] },
    {
      name: `default.${SVC}`,
      type: 'A',
      answer: [`default.${SVC} 30 A 10.0.0.1`, `default.${SVC} 30 A 10.244.2.7`, `default.${SVC} 30 A 10.244.1.5`],
    },
    {
      name: '10-1-2-3.default.pod.cluster.local.',
      type: 'A',
      answer: ['10-1-2-3.default.pod.cluster.local. 30 A 10.1.2.3'],
    },
    { name: '1.0.0.10.in-addr.arpa.', type: 'PTR', forward: true },
    { name: 'www.example.com.', type: 'A', forward: true },
    { name: 'mycluster.local.', type: 'A', forward: true },
  ]);
});

test('a mixed-case query echoes the case and makes up no CNAME', () => {
  const ctx = testContext(cluster().tree);
  check(ctx, [{ name: `KUBERNETES.Default.${SVC}`, type: 'A', answer: [`KUBERNETES.Default.${SVC} 30 A 10.0.0.1`] }]);
});

test('headless service: per-endpoint names, hostnames and SRV with glue', () => {
  const ctx = testContext(cluster().tree);
  const web = `web.default.${SVC}`;
  check(ctx, [
    { name: web, type: 'A', answer: [`${web} 30 A 10.244.2.7`, `${web} 30 A 10.244.1.5`] },
    { name: `web-0.${web}`, type: 'A', answer: [`web-0.${web} 30 A 10.244.1.5`] },
    { name: `c89ee3.${web}`, type: 'A', answer: [`c89ee3.${web} 30 A 10.244.2.7`] },
    { name: `web-1.${web}`, type: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
    {
      name: `_http._tcp.${web}`,
      type: 'SRV',
      answer: [`_http._tcp.${web} 30 SRV 10 50 8080 c89ee3.${web}`, `_http._tcp.${web} 30 SRV 10 50 8080 web-0.${web}`],
      additional: [`c89ee3.${web} 30 A 10.244.2.7`, `web-0.${web} 30 A 10.244.1.5`],
    },
    {
      name: `_http._tcp.${web}`,
      type: 'A',
      answer: [`_http._tcp.${web} 30 CNAME c89ee3.${web}`, `c89ee3.${web} 30 A 10.244.2.7`],
    },
  ]);
});

test('query-side wildcards * and any', () => {
  const ctx = testContext(cluster().tree);
  check(ctx, [
    {
      name: `*.default.${SVC}`,
      type: 'A',
      answer: [
        `*.default.${SVC} 30 A 10.0.0.1`,
        `*.default.${SVC} 30 A 10.244.2.7`,
        `*.default.${SVC} 30 A 10.244.1.5`,
      ],
    },
    { name: `kubernetes.any.${SVC}`, type: 'A', answer: [`kubernetes.any.${SVC} 30 A 10.0.0.1`] },
    { name: `*.nosuch.${SVC}`, type: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
    { name: `nosuch.*.${SVC}`, type: 'A', answer: [], authority: [SOA] },
  ]);
});

test('v3 emulation of v2: a key is never a raw prefix', () => {
  const b = new TreeBuilder();
  b.leaf('my1.cluster.local.', { host: '10.9.9.9' });
  b.at('exact.cluster.local.', { host: '10.8.8.8' });
  const ctx = testContext(b.tree);
  check(ctx, [
    { name: 'my.cluster.local.', type: 'A', rcode: 'NXDOMAIN' },
    { name: 'my1.cluster.local.', type: 'A', answer: ['my1.cluster.local. 3600 A 10.9.9.9'] },
    { name: 'exact.cluster.local.', type: 'A', answer: ['exact.cluster.local. 3600 A 10.8.8.8'] },
  ]);
});

test('CNAME chains inside the domain, loops, limits and external targets', () => {
  const b = new TreeBuilder();
  b.at('1.cname.cluster.local.', { host: '2.cname.cluster.local', ttl: 100 });
  b.at('2.cname.cluster.local.', { host: '10.0.0.2', ttl: 50 });
  b.at('3.cname.cluster.local.', { host: '4.cname.cluster.local.' });
  b.at('4.cname.cluster.local.', { host: '3.cname.cluster.local.' });
  b.at('self.cname.cluster.local.', { host: 'SELF.cname.cluster.local.' });
  b.at('ext.cname.cluster.local.', { host: 'www.example.com.' });
  b.at('dangling.cname.cluster.local.', { host: 'nothing.cluster.local.' });
  b.at('short.cname.cluster.local.', { host: 'server1' });
  for (let i = 0; i < 12; i++) b.at(`c${i}.chain.cluster.local.`, { host: `c${i + 1}.chain.cluster.local.` });
  b.at('c12.chain.cluster.local.', { host: '10.0.0.12' });
  b.at('c5.chain.cluster.local.', { host: 'c6.chain.cluster.local.' });
  const ctx = testContext(b.tree);
  check(ctx, [
    {
      name: '1.cname.cluster.local.',
      type: 'A',
      answer: ['1.cname.cluster.local. 50 CNAME 2.cname.cluster.local.', '2.cname.cluster.local. 50 A 10.0.0.2'],
    },
    { name: '3.cname.cluster.local.', type: 'A', answer: [], authority: [SOA] },
    { name: 'self.cname.cluster.local.', type: 'A', answer: [], authority: [SOA] },
    { name: 'dangling.cname.cluster.local.', type: 'A', answer: [], authority: [SOA] },
    {
      name: 'short.cname.cluster.local.',
      type: 'A',
      answer: ['short.cname.cluster.local. 3600 CNAME server1.'],
      external: ['server1. A'],
    },
    {
      name: 'ext.cname.cluster.local.',
      type: 'AAAA',
      answer: ['ext.cname.cluster.local. 3600 CNAME www.example.com.'],
      external: ['www.example.com. AAAA'],
    },
    {
      name: 'c4.chain.cluster.local.',
      type: 'A',
      answer: [
        'c4.chain.cluster.local. 3600 CNAME c5.chain.cluster.local.',
        'c5.chain.cluster.local. 3600 CNAME c6.chain.cluster.local.',
        'c6.chain.cluster.local. 3600 CNAME c7.chain.cluster.local.',
        'c7.chain.cluster.local. 3600 CNAME c8.chain.cluster.local.',
        'c8.chain.cluster.local. 3600 CNAME c9.chain.cluster.local.',
        'c9.chain.cluster.local. 3600 CNAME c10.chain.cluster.local.',
        'c10.chain.cluster.local. 3600 CNAME c11.chain.cluster.local.',
        'c11.chain.cluster.local. 3600 CNAME c12.chain.cluster.local.',
        'c12.chain.cluster.local. 3600 A 10.0.0.12',
      ],
    },
    { name: 'c0.chain.cluster.local.', type: 'A', answer: [], authority: [SOA] },
    {
      name: '1.cname.cluster.local.',
      type: 'CNAME',
      answer: ['1.cname.cluster.local. 100 CNAME 2.cname.cluster.local.'],
    },
    { name: '2.cname.cluster.local.', type: 'CNAME', answer: [], authority: [SOA] },
    { name: 'cname.cluster.local.', type: 'CNAME', answer: [], authority: [SOA] },
    { name: 'none.cname.cluster.local.', type: 'CNAME', rcode: 'NXDOMAIN' },
  ]);
});

test('a CNAME question for an ExternalName (its one record below the name) answers the CNAME', () => {
  const b = new TreeBuilder();
  b.leaf('ext.default.svc.cluster.local.', { host: 'db.example.com', ttl: 30 });
  b.leaf('web.default.svc.cluster.local.', { host: '10.0.0.5', ttl: 30 });
  b.leaf('_http._tcp.web.default.svc.cluster.local.', { host: 'web.default.svc.cluster.local.', port: 80, ttl: 30 });
  b.leaf('two.default.svc.cluster.local.', { host: 'a.example.com', ttl: 30 });
  b.leaf('two.default.svc.cluster.local.', { host: 'b.example.com', ttl: 30 });
  check(testContext(b.tree), [
    {
      name: 'ext.default.svc.cluster.local.',
      type: 'CNAME',
      answer: ['ext.default.svc.cluster.local. 30 CNAME db.example.com.'],
    },
    {
      name: 'EXT.default.svc.cluster.local.',
      type: 'CNAME',
      answer: ['EXT.default.svc.cluster.local. 30 CNAME db.example.com.'],
    },
    { name: 'web.default.svc.cluster.local.', type: 'CNAME', answer: [], authority: [SOA] },
    { name: '_http._tcp.web.default.svc.cluster.local.', type: 'CNAME', answer: [], authority: [SOA] },
    { name: 'two.default.svc.cluster.local.', type: 'CNAME', answer: [], authority: [SOA] },
  ]);
});

test('TXT split at 255 bytes, MX with glue, NS and SOA at the apex, other types', () => {
  const b = cluster();
  b.leaf('txt.cluster.local.', { text: 'a'.repeat(300), ttl: 10 });
  b.leaf('txt255.cluster.local.', { text: 'b'.repeat(255) });
  b.leaf('mail.cluster.local.', { host: '10.0.0.25', mail: true, priority: 20 }, 'mx1');
  b.leaf('mail.cluster.local.', { host: 'mx.example.com', mail: true });
  b.leaf('mail.cluster.local.', { host: '10.0.0.26' }, 'notmail');
  b.at('ns1.ns.dns.cluster.local.', { host: '10.0.0.10' });
  const ctx = testContext(b.tree);
  check(ctx, [
    {
      name: 'txt.cluster.local.',
      type: 'TXT',
      answer: [`txt.cluster.local. 10 TXT "${'a'.repeat(255)}" "${'a'.repeat(45)}"`],
    },
    { name: 'txt255.cluster.local.', type: 'TXT', answer: [`txt255.cluster.local. 3600 TXT "${'b'.repeat(255)}"`] },
    { name: `kubernetes.default.${SVC}`, type: 'TXT', answer: [], authority: [SOA] },
    {
      name: 'mail.cluster.local.',
      type: 'MX',
      answer: [
        'mail.cluster.local. 3600 MX 10 mx.example.com.',
        'mail.cluster.local. 3600 MX 20 mx1.mail.cluster.local.',
      ],
      additional: ['mx1.mail.cluster.local. 3600 A 10.0.0.25'],
    },
    {
      name: 'cluster.local.',
      type: 'NS',
      answer: ['cluster.local. 3600 NS ns1.ns.dns.cluster.local.'],
      additional: ['ns1.ns.dns.cluster.local. 3600 A 10.0.0.10'],
    },
    { name: `default.${SVC}`, type: 'NS', answer: [], authority: [SOA] },
    { name: 'nosuch.cluster.local.', type: 'NS', rcode: 'NXDOMAIN' },
    {
      name: 'Cluster.Local.',
      type: 'SOA',
      answer: [
        `Cluster.Local. 3600 SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL} 28800 7200 604800 60`,
      ],
    },
    { name: `kubernetes.default.${SVC}`, type: 'SOA', answer: [], authority: [SOA] },
    { name: `kubernetes.default.${SVC}`, type: 'HINFO', answer: [], authority: [SOA] },
    { name: `nosuch.${SVC}`, type: 'HINFO', rcode: 'NXDOMAIN', authority: [SOA] },
  ]);
  assert.deepEqual(
    splitText('é'.repeat(200)).map((s) => Buffer.byteLength(s)),
    [254, 146],
  );
});

test('groups (SkyDNS msg.Group examples)', () => {
  const b = new TreeBuilder();
  b.at('a.dom.cluster.local.', { host: '127.0.0.1', group: 'g1' });
  b.at('b.sub.dom.cluster.local.', { host: '127.0.0.2', group: 'g1' });
  b.at('a.dom1.cluster.local.', { host: '127.0.0.1', group: 'g1' });
  b.at('b.sub.dom1.cluster.local.', { host: '127.0.0.2', group: 'g2' });
  b.at('c.dom2.cluster.local.', { host: '127.0.0.3' });
  b.at('d.sub.dom2.cluster.local.', { host: '127.0.0.4', group: 'g3' });
  const ctx = testContext(b.tree);
  check(ctx, [
    {
      name: 'dom.cluster.local.',
      type: 'A',
      answer: ['dom.cluster.local. 3600 A 127.0.0.1', 'dom.cluster.local. 3600 A 127.0.0.2'],
    },
    { name: 'dom1.cluster.local.', type: 'A', answer: ['dom1.cluster.local. 3600 A 127.0.0.1'] },
    {
      name: 'dom2.cluster.local.',
      type: 'A',
      answer: ['dom2.cluster.local. 3600 A 127.0.0.3', 'dom2.cluster.local. 3600 A 127.0.0.4'],
    },
  ]);
});

test('PTR from /skydns/arpa (AA=0), else forwarded', () => {
  const b = cluster();
  b.tree.set('/skydns/arpa/in-addr/10/0/0/1', { host: `kubernetes.default.${SVC}`, ttl: 30 });
  b.tree.set('/skydns/arpa/in-addr/10/0/0/9', { host: '10.0.0.9' });
  const ctx = testContext(b.tree);
  check(ctx, [
    {
      name: '1.0.0.10.in-addr.arpa.',
      type: 'PTR',
      aa: false,
      answer: [`1.0.0.10.in-addr.arpa. 30 PTR kubernetes.default.${SVC}`],
    },
    { name: '9.0.0.10.in-addr.arpa.', type: 'PTR', forward: true },
    { name: '0.0.10.in-addr.arpa.', type: 'PTR', forward: true },
    { name: '*.0.0.10.in-addr.arpa.', type: 'PTR', forward: true },
  ]);
});

test('TTL rules and de-duplication', () => {
  const b = new TreeBuilder();
  b.leaf('mixed.cluster.local.', { host: '10.0.0.1', ttl: 30 });
  b.leaf('mixed.cluster.local.', { host: '10.0.0.2', ttl: 100 });
  b.leaf('long.cluster.local.', { host: '10.0.0.1', ttl: 7200 });
  b.leaf('longs.cluster.local.', { host: '10.0.0.1', ttl: 7200 });
  b.leaf('longs.cluster.local.', { host: '10.0.0.2', ttl: 5000 });
  b.leaf('dup.cluster.local.', { host: '10.0.0.1', ttl: 30 });
  b.leaf('dup.cluster.local.', { host: '10.0.0.1', ttl: 30, priority: 5 });
  b.leaf('v6.cluster.local.', { host: 'fd00::1' });
  b.leaf('v6.cluster.local.', { host: '::ffff:10.0.0.7' });
  const ctx = testContext(b.tree);
  check(ctx, [
    {
      name: 'mixed.cluster.local.',
      type: 'A',
      answer: ['mixed.cluster.local. 30 A 10.0.0.2', 'mixed.cluster.local. 30 A 10.0.0.1'],
    },
    { name: 'long.cluster.local.', type: 'A', answer: ['long.cluster.local. 7200 A 10.0.0.1'] },
    {
      name: 'longs.cluster.local.',
      type: 'A',
      answer: ['longs.cluster.local. 3600 A 10.0.0.2', 'longs.cluster.local. 3600 A 10.0.0.1'],
    },
    { name: 'dup.cluster.local.', type: 'A', answer: ['dup.cluster.local. 30 A 10.0.0.1'] },
    { name: 'v6.cluster.local.', type: 'AAAA', answer: ['v6.cluster.local. 3600 AAAA fd00::1'] },
    { name: 'v6.cluster.local.', type: 'A', answer: ['v6.cluster.local. 3600 A 10.0.0.7'] },
  ]);
});

test('ANY refused, CHAOS, not-ready SERVFAIL, local alias', () => {
  const tree = cluster().tree;
  const ctx = testContext(tree, { local: `kubernetes.default.${SVC}` });
  check(ctx, [
    { name: `kubernetes.default.${SVC}`, type: 'ANY', rcode: 'REFUSED', aa: false },
    { name: 'local.dns.cluster.local.', type: 'A', answer: ['local.dns.cluster.local. 30 A 10.0.0.1'] },
  ]);
  const version = resolveQuery(ctx, { name: 'VERSION.bind.', type: 16, qclass: CLASS_CHAOS });
  assert.deepEqual(version.answer.map(formatRr), ['VERSION.bind. 0 TXT "kube-dns-legacy"']);
  assert.equal(resolveQuery(ctx, { name: 'authors.bind.', type: 16, qclass: CLASS_CHAOS }).answer.length, 4);
  assert.equal(resolveQuery(ctx, { name: 'other.', type: 16, qclass: CLASS_CHAOS }).rcode, 'REFUSED');
  tree.ready = false;
  check(ctx, [
    { name: `kubernetes.default.${SVC}`, type: 'A', rcode: 'SERVFAIL', aa: false },
    { name: '1.0.0.10.in-addr.arpa.', type: 'PTR', rcode: 'SERVFAIL' },
    { name: 'www.example.com.', type: 'A', forward: true },
  ]);
});

test('SRV weights per priority (0 counts as 100), targetstrip on key-derived and given targets', () => {
  const b = new TreeBuilder();
  b.at('a.w.cluster.local.', { host: '10.0.0.1', port: 80, weight: 120 });
  b.at('b.w.cluster.local.', { host: '10.0.0.2', port: 80, weight: 100 });
  b.at('c.w.cluster.local.', { host: '10.0.0.3', port: 80, weight: 130 });
  b.at('d.w.cluster.local.', { host: '10.0.0.4', port: 80, priority: 20 });
  b.at('x.strip.cluster.local.', { host: '10.0.0.5', port: 81, targetstrip: 1 });
  b.at('y.strip.cluster.local.', { host: 'a.b.example.com.', port: 82, targetstrip: 2 });
  b.at('z.strip.cluster.local.', { host: 'short.', port: 83, targetstrip: 5 });
  const ctx = testContext(b.tree);
  check(ctx, [
    {
      name: 'w.cluster.local.',
      type: 'SRV',
      answer: [
        'w.cluster.local. 3600 SRV 10 34 80 a.w.cluster.local.',
        'w.cluster.local. 3600 SRV 10 28 80 b.w.cluster.local.',
        'w.cluster.local. 3600 SRV 10 37 80 c.w.cluster.local.',
        'w.cluster.local. 3600 SRV 20 100 80 d.w.cluster.local.',
      ],
    },
    {
      name: 'strip.cluster.local.',
      type: 'SRV',
      answer: [
        'strip.cluster.local. 3600 SRV 10 33 81 strip.cluster.local.',
        'strip.cluster.local. 3600 SRV 10 33 82 example.com.',
        'strip.cluster.local. 3600 SRV 10 33 83 short.',
      ],
      additional: ['strip.cluster.local. 3600 A 10.0.0.5'],
    },
  ]);
});

test('SRV builds at most 2,300 records (more never fit in 64 KiB) and looks up glue for at most 1,024 distinct name targets', () => {
  const b = new TreeBuilder();
  for (let i = 0; i < 1100; i++) {
    b.leaf(`t${i}.many.cluster.local.`, { host: `10.9.${i >> 8}.${i & 255}` });
    b.leaf(
      `_http._tcp.many.cluster.local.`,
      { host: `t${i}.many.cluster.local.`, port: 80 },
      `s${String(i).padStart(4, '0')}`,
    );
  }
  const r = resolveQuery(testContext(b.tree), {
    name: '_http._tcp.many.cluster.local.',
    type: TYPES['SRV'] ?? 0,
    qclass: 1,
  });
  assert.equal(r.answer.length, 1100);
  assert.equal(r.additional.length, 1024);
  assert.equal(formatRr(r.additional[0] as Parameters<typeof formatRr>[0]), 't0.many.cluster.local. 3600 A 10.9.0.0');
  for (let i = 0; i < 3000; i++) b.leaf('lots.cluster.local.', { host: `10.8.${i >> 8}.${i & 255}`, port: 80 });
  assert.equal(
    resolveQuery(testContext(b.tree), { name: 'lots.cluster.local.', type: TYPES['SRV'] ?? 0, qclass: 1 }).answer
      .length,
    2300,
  );
});

test('an external CNAME target without records of the type keeps the CNAME; a failed or NXDOMAIN lookup drops it (SkyDNS)', () => {
  const b = new TreeBuilder();
  b.leaf('ext.default.svc.cluster.local.', { host: 'db.example.com', ttl: 30 });
  const ctx = testContext(b.tree);
  const res = resolveQuery(ctx, { name: 'ext.default.svc.cluster.local.', type: TYPES['AAAA'] ?? 0, qclass: 1 });
  assert.equal(res.external.length, 1);
  const show = (found: Parameters<typeof completeExternal>[2]): string[] =>
    completeExternal(ctx, res, found).answer.map(formatRr);
  assert.deepEqual(
    show([[]]),
    ['ext.default.svc.cluster.local. 30 CNAME db.example.com.'],
    'NOERROR without AAAA: the CNAME stays',
  );
  assert.deepEqual(show([undefined]), [], 'NXDOMAIN or no upstream: the chain is dropped');
  assert.deepEqual(show([[{ name: 'db.example.com.', ttl: 60, type: 'AAAA', address: 'fd00::1' }]]), [
    'ext.default.svc.cluster.local. 30 CNAME db.example.com.',
    'db.example.com. 30 AAAA fd00::1',
  ]);
});
