import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadValueLog, hostProblem, keyProblem, valueProblem } from './values.js';

const KEY = '/skydns/local/cluster/svc/default/web/x';

test('hosts: IPv4, IPv6 without a zone and host names are served; anything else is not', () => {
  for (const ok of [
    '10.0.0.1',
    'fd00::1',
    '::ffff:10.244.9.7',
    'kubernetes.default.svc.cluster.local.',
    'www.example.org',
    '_http._tcp.web.default.svc.cluster.local.',
    'a-b.c_d.example',
    'xn--bcher-kva.example.',
    'localhost',
  ])
    assert.equal(hostProblem(ok), undefined, ok);
  for (const [bad, why] of [
    ['256.1.1.1', /looks like an IPv4 address but is not one/],
    ['1.2.3', /looks like an IPv4 address/],
    ['010.1.1.1', /looks like an IPv4 address/],
    ['10.0.0.1.', /looks like an IPv4 address/],
    ['evil host.example.org', /neither an IP address nor a host name/],
    ['evil!.example.org', /neither an IP address nor a host name/],
    ['bücher.example', /neither an IP address nor a host name/],
    ['a/b.example', /neither an IP address nor a host name/],
    ['*.example.org', /neither an IP address nor a host name/],
    ['fe80::1%eth0', /IPv6 address with a zone/],
    ['a..b', /empty label/],
    [`${'a'.repeat(64)}.example`, /63/],
    ['.', /root/],
  ] as const)
    assert.match(hostProblem(bad) ?? 'served', why, bad);
});

test('values: ports, priorities and weights outside 0..65535, negative targetstrip, bad keys and hosts are problems', () => {
  assert.equal(valueProblem(KEY, '{"host":"10.0.0.1","port":65535,"priority":0,"weight":65535}'), undefined);
  assert.equal(valueProblem(KEY, '{"text":"any text at all, spaces and !"}'), undefined);
  assert.match(
    valueProblem(KEY, '{"host":"a.example.","port":70000}') ?? '',
    /field "port": 70000 is outside 0\.\.65535/,
  );
  assert.match(valueProblem(KEY, '{"host":"a.example.","port":-1}') ?? '', /field "port"/);
  assert.match(valueProblem(KEY, '{"host":"a.example.","priority":65536}') ?? '', /field "priority"/);
  assert.match(valueProblem(KEY, '{"host":"a.example.","weight":-5}') ?? '', /field "weight"/);
  assert.match(valueProblem(KEY, '{"host":"a.example.","targetstrip":-1}') ?? '', /targetstrip/);
  assert.match(valueProblem(KEY, '{"host":"256.1.1.1"}') ?? '', /^\/skydns\/.*\/x: field "host": .*IPv4/);
  assert.match(valueProblem(KEY, 'not json') ?? '', /not valid JSON/);
  const pod = '/skydns/local/cluster/pod/default/--ffff-10.244.9.7/x';
  assert.match(
    valueProblem(pod, '{"host":"10.244.9.7"}') ?? '',
    /segment "--ffff-10\.244\.9\.7" cannot be a DNS label/,
  );
  assert.equal(valueProblem('/dns/a/b c', '{"host":"10.0.0.1"}', 'skydns'), undefined, 'only keys under the prefix');
  assert.match(valueProblem('/dns/a/b c', '{"host":"10.0.0.1"}', 'dns') ?? '', /segment "b c"/);
  assert.equal(keyProblem('/skydns/arpa/in-addr/10/0/0/1', 'skydns'), undefined);
  assert.equal(keyProblem('/skydns/local/cluster/svc/default/web/_tcp/_http/c88f1059', 'skydns'), undefined);
  assert.match(keyProblem(`/skydns/${'a'.repeat(64)}`, 'skydns') ?? '', /longer than a DNS label/);
  assert.match(keyProblem(`/skydns/${Array(130).fill('ab').join('/')}`, 'skydns') ?? '', /limit is 253/);
});

test('warnings about skipped values: the first at once, then at most one per 10 s saying how many were skipped', () => {
  const lines: Array<Record<string, unknown> | undefined> = [];
  let now = 1_000_000;
  const log = new BadValueLog(
    (_level, _message, meta) => lines.push(meta),
    () => now,
  );
  for (let i = 0; i < 1000; i++) log.note(`/skydns/k${i}`, 'bad');
  assert.equal(lines.length, 1);
  now += 9_999;
  log.note('/skydns/again', 'bad');
  assert.equal(lines.length, 1);
  now += 1;
  log.note('/skydns/later', 'bad');
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1], { key: '/skydns/later', reason: 'bad', skippedSinceLastWarning: 1000 });
});
