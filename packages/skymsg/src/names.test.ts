import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nameToKey,
  keyToName,
  reverseName,
  reverseNameToIP,
  podLabel,
  wildcardPath,
  isDnsLabel,
  isDnsSubdomain,
  dnsNameProblem,
  fqdn,
  labels,
} from './names.js';

test('names map to reversed, lower-cased keys under the prefix and back', () => {
  const cases: Array<[string, string, string]> = [
    ['kubernetes.default.svc.cluster.local.', 'skydns', '/skydns/local/cluster/svc/default/kubernetes'],
    ['Kubernetes.Default.SVC.cluster.local', 'skydns', '/skydns/local/cluster/svc/default/kubernetes'],
    [
      '_https._tcp.kubernetes.default.svc.cluster.local.',
      'skydns',
      '/skydns/local/cluster/svc/default/kubernetes/_tcp/_https',
    ],
    ['1.0.0.10.in-addr.arpa.', 'skydns', '/skydns/arpa/in-addr/10/0/0/1'],
    ['rails.production.east.skydns.local.', 'skydns', '/skydns/local/skydns/east/production/rails'],
    ['a.example.', 'dns/prod', '/dns/prod/example/a'],
    ['a.example.', '/custom/', '/custom/example/a'],
    ['.', 'skydns', '/skydns'],
  ];
  for (const [name, prefix, key] of cases) {
    assert.equal(nameToKey(name, prefix), key, name);
    assert.equal(keyToName(key, prefix), fqdn(name), key);
  }
  assert.equal(nameToKey('a.b'), '/skydns/b/a', 'default prefix');
  assert.throws(() => keyToName('/other/b/a'), /not under the prefix \/skydns/);
  assert.throws(() => keyToName('/skydnsx/a'), /not under the prefix/);
  assert.throws(() => keyToName('/skydns/b//a'), /empty segment/);
});

test('fqdn and labels', () => {
  assert.equal(fqdn('Cluster.Local'), 'cluster.local.');
  assert.equal(fqdn('cluster.local.'), 'cluster.local.');
  assert.deepEqual(labels('a.B.c.'), ['a', 'b', 'c']);
  assert.deepEqual(labels('.'), []);
});

test('reverse names for IPv4 and IPv6', () => {
  const cases: Array<[string, string]> = [
    ['10.0.0.1', '1.0.0.10.in-addr.arpa.'],
    ['10.244.2.7', '7.2.244.10.in-addr.arpa.'],
    ['2001:db8::1', '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.'],
    ['fd00:10:96::a', 'a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.'],
    ['::ffff:10.0.0.1', '1.0.0.0.0.0.a.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.'],
    ['::', `${Array(32).fill('0').join('.')}.ip6.arpa.`],
  ];
  for (const [ip, name] of cases) assert.equal(reverseName(ip), name, ip);
  assert.equal(nameToKey(reverseName('10.0.0.1')), '/skydns/arpa/in-addr/10/0/0/1');
  assert.equal(reverseNameToIP('1.0.0.10.in-addr.arpa.'), '10.0.0.1');
  assert.equal(reverseNameToIP(reverseName('2001:db8::1')), '2001:0db8:0000:0000:0000:0000:0000:0001');
  assert.equal(reverseNameToIP('0.0.10.in-addr.arpa.'), undefined);
  assert.equal(reverseNameToIP('1.0.0.300.in-addr.arpa.'), undefined);
  assert.equal(reverseNameToIP('example.com.'), undefined);
  assert.throws(() => reverseName('10.0.0'), /not an IP address/);
  assert.throws(() => reverseName('None'), /not an IP address/);
});

test('pod labels', () => {
  assert.equal(podLabel('10.244.1.5'), '10-244-1-5');
  assert.equal(podLabel('fd00::1'), 'fd00--1');
  assert.throws(() => podLabel('10.244.1'), /not an IP address/);
});

test('wildcard paths: base key up to the first wildcard, matcher for deeper keys', () => {
  assert.equal(wildcardPath('kubernetes.default.svc.cluster.local.'), undefined);
  const ns = wildcardPath('*.default.svc.cluster.local.');
  assert.ok(ns);
  assert.equal(ns.base, '/skydns/local/cluster/svc/default');
  assert.deepEqual(ns.pattern, ['skydns', 'local', 'cluster', 'svc', 'default', undefined]);
  assert.equal(ns.matches('/skydns/local/cluster/svc/default/kubernetes/c88f1059'), true);
  assert.equal(ns.matches('/skydns/local/cluster/svc/default/kubernetes'), true);
  assert.equal(ns.matches('/skydns/local/cluster/svc/default'), false, 'shorter than the query');
  assert.equal(ns.matches('/skydns/local/cluster/svc/other/kubernetes'), false);

  const mid = wildcardPath('kubernetes.ANY.svc.cluster.local.');
  assert.ok(mid);
  assert.equal(mid.base, '/skydns/local/cluster/svc');
  assert.deepEqual(mid.pattern, ['skydns', 'local', 'cluster', 'svc', undefined, 'kubernetes']);
  assert.equal(mid.matches('/skydns/local/cluster/svc/default/kubernetes/c88f1059'), true);
  assert.equal(mid.matches('/skydns/local/cluster/svc/kube-system/kubernetes/x'), true);
  assert.equal(mid.matches('/skydns/local/cluster/svc/default/kube-dns/x'), false);

  const two = wildcardPath('*.*.svc.cluster.local.', 'dns/prod');
  assert.ok(two);
  assert.equal(two.base, '/dns/prod/local/cluster/svc');
  assert.deepEqual(two.pattern, ['dns', 'prod', 'local', 'cluster', 'svc', undefined, undefined]);
  assert.equal(two.matches('/dns/prod/local/cluster/svc/a/b'), true);
  assert.equal(two.matches('/dns/prod/local/cluster/svc/a'), false);
});

test('DNS label and name validation', () => {
  const labelsOk = ['a', 'web-0', '0abc', 'a'.repeat(63)];
  const labelsBad = ['', '-a', 'a-', 'A', 'a_b', 'a.b', 'a'.repeat(64), 'é'];
  for (const l of labelsOk) assert.equal(isDnsLabel(l), true, l);
  for (const l of labelsBad) assert.equal(isDnsLabel(l), false, l);

  assert.equal(isDnsSubdomain('cluster.local'), true);
  assert.equal(isDnsSubdomain('cluster.local.'), true);
  assert.equal(isDnsSubdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`), true);
  assert.equal(
    isDnsSubdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`),
    false,
    '254 characters',
  );
  assert.equal(isDnsSubdomain(''), false);
  assert.equal(isDnsSubdomain('a..b'), false);
  assert.equal(isDnsSubdomain('Cluster.local'), false);

  assert.equal(dnsNameProblem('_http._tcp.web.default.svc.cluster.local.'), undefined);
  assert.equal(dnsNameProblem('*.default.svc.cluster.local'), undefined);
  assert.equal(dnsNameProblem('.'), undefined);
  assert.match(dnsNameProblem('a..b') ?? '', /empty label/);
  assert.match(dnsNameProblem(`${'x'.repeat(64)}.local`) ?? '', /64 characters long, the limit is 63/);
  assert.match(dnsNameProblem(`${'abcdefghi.'.repeat(26)}`) ?? '', /259 characters long, the limit is 253/);
});
