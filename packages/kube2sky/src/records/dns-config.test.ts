import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsConfigRecords, parseNameserver } from './dns-config.js';
import { isOwnedKey, scannedPrefixes } from './ownership.js';
import type { RecordContext } from './types.js';

const ctx: RecordContext = { domain: 'cluster.local.', prefix: 'skydns', dnsConfig: true };

test("the kube-dns ConfigMap's stub domains and upstreams: the agreed keys and exact values", () => {
  const result = dnsConfigRecords(ctx, {
    stubDomains: '{"acme.local": ["10.150.0.1"], "corp.example": ["10.10.0.1:5353", "[fd00::53]:5353", "fd00::54"]}',
    upstreamNameservers: '["8.8.8.8", "8.8.4.4:53", "[2001:4860:4860::8888]:53"]',
    federations: '{"myfed": "example.com"}',
  });
  assert.ok('records' in result, JSON.stringify(result));
  assert.deepEqual(
    [...result.records].sort(([a], [b]) => (a < b ? -1 : 1)),
    [
      ['/skydns/local/cluster/dns/stub/example/corp/0', '{"host":"10.10.0.1","port":5353}'],
      ['/skydns/local/cluster/dns/stub/example/corp/1', '{"host":"fd00::53","port":5353}'],
      ['/skydns/local/cluster/dns/stub/example/corp/2', '{"host":"fd00::54","port":53}'],
      ['/skydns/local/cluster/dns/stub/local/acme/0', '{"host":"10.150.0.1","port":53}'],
      ['/skydns/local/cluster/dns/upstream/0', '{"host":"8.8.8.8","port":53}'],
      ['/skydns/local/cluster/dns/upstream/1', '{"host":"8.8.4.4","port":53}'],
      ['/skydns/local/cluster/dns/upstream/2', '{"host":"2001:4860:4860::8888","port":53}'],
    ],
  );
  assert.deepEqual([result.stubDomains, result.upstreams], [2, 3]);
  const other = dnsConfigRecords(
    { domain: 'corp.internal.', prefix: 'dns/prod', dnsConfig: true },
    {
      upstreamNameservers: '["10.0.0.2"]',
    },
  );
  assert.ok('records' in other);
  assert.deepEqual([...other.records], [['/dns/prod/internal/corp/dns/upstream/0', '{"host":"10.0.0.2","port":53}']]);
  for (const data of [undefined, {}, { stubDomains: '{}', upstreamNameservers: '[]' }]) {
    const empty = dnsConfigRecords(ctx, data);
    assert.ok('records' in empty && empty.records.size === 0, JSON.stringify(data));
  }
});

test('invalid content is refused whole, with the reason (as kube-dns validates it)', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ upstreamNameservers: '["1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"]' }, /cannot have more than 3 entries/],
    [{ upstreamNameservers: '["dns.google"]' }, /not an IP address with an optional port/],
    [{ upstreamNameservers: '["8.8.8.8:0"]' }, /bad port number "0"/],
    [{ upstreamNameservers: '["8.8.8.8:70000"]' }, /bad port number "70000"/],
    [{ upstreamNameservers: '["256.1.1.1"]' }, /not an IP address/],
    [{ upstreamNameservers: '["::ffff:8.8.8.8"]' }, /not an IP address|IPv4-mapped/],
    [{ upstreamNameservers: '"8.8.8.8"' }, /must be a JSON list of strings/],
    [{ upstreamNameservers: '[8]' }, /must be a JSON list of strings/],
    [{ upstreamNameservers: '[' }, /upstreamNameservers is not JSON/],
    [{ stubDomains: '["acme.local"]' }, /must be a JSON object/],
    [{ stubDomains: '{"Acme.local": ["10.0.0.1"]}' }, /invalid domain name "Acme.local"/],
    [{ stubDomains: '{"acme.local.": ["10.0.0.1"]}' }, /invalid domain name/],
    [{ stubDomains: '{"a b": ["10.0.0.1"]}' }, /invalid domain name/],
    [{ stubDomains: '{"cluster.local": ["10.0.0.1"]}' }, /cluster domain or inside it/],
    [{ stubDomains: '{"svc.cluster.local": ["10.0.0.1"]}' }, /cluster domain or inside it/],
    [{ stubDomains: '{"acme.local": "10.0.0.1"}' }, /must be a JSON list of strings/],
    [{ stubDomains: '{"acme.local": ["10.0.0.1:99999"]}' }, /bad port number/],
    [{ stubDomains: '{"acme.local": ["ns.acme.local"]}' }, /not an IP address/],
    [{ stubDomains: '{"acme.local": ["10.0.0.1"]}', upstreamNameservers: '["x"]' }, /upstreamNameservers/],
    [{ stubDomains: 42 }, /stubDomains must be a string/],
  ];
  for (const [data, reason] of cases) {
    const result = dnsConfigRecords(ctx, data);
    assert.ok('error' in result, JSON.stringify(data));
    assert.match(result.error, reason, JSON.stringify(data));
  }
  // A stub domain that only ends like the cluster domain is fine.
  assert.ok('records' in dnsConfigRecords(ctx, { stubDomains: '{"mycluster.local": ["10.0.0.1"]}' }));
});

test('nameservers: ip, ip:port, [ipv6]:port, bare IPv6 (port 53)', () => {
  assert.deepEqual(parseNameserver('10.0.0.1'), { host: '10.0.0.1', port: 53 });
  assert.deepEqual(parseNameserver('10.0.0.1:5353'), { host: '10.0.0.1', port: 5353 });
  assert.deepEqual(parseNameserver('[fd00::1]:5353'), { host: 'fd00::1', port: 5353 });
  assert.deepEqual(parseNameserver('::1:53'), { host: '::1:53', port: 53 }, 'Go reads it as an IPv6 address too');
  for (const bad of ['', ':53', '10.0.0.1:', '10.0.0.1:+53', '[10.0.0.1]:53x', 'fe80::1%eth0', '[fd00::1]'])
    assert.throws(() => parseNameserver(bad), /nameserver/, bad);
});

test('ownership with --config-map: every upstream key, numbered stub leaves only', () => {
  assert.deepEqual(scannedPrefixes(ctx).slice(5), [
    '/skydns/local/cluster/dns/stub/',
    '/skydns/local/cluster/dns/upstream/',
  ]);
  const v = '{"host":"10.0.0.1","port":53}';
  const cases: Array<[string, boolean]> = [
    ['/skydns/local/cluster/dns/upstream/0', true],
    ['/skydns/local/cluster/dns/stub/local/acme/0', true],
    ['/skydns/local/cluster/dns/stub/local/acme/12', true],
    ['/skydns/local/cluster/dns/stub/local/acme/ns1', false],
    ['/skydns/local/cluster/dns/stub/com/example/x', false],
    ['/skydns/local/cluster/dns/ns/a', false],
    ['/skydns/local/other/dns/upstream/0', false],
  ];
  for (const [key, owned] of cases) assert.equal(isOwnedKey(ctx, key, v), owned, key);
  const without: RecordContext = { domain: 'cluster.local.', prefix: 'skydns' };
  assert.equal(scannedPrefixes(without).length, 5, 'without --config-map the dns/ keys are not read');
  for (const [key] of cases) assert.equal(isOwnedKey(without, key, v), false, `${key} without --config-map`);
});
