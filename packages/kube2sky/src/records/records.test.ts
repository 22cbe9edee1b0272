import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readyFromEndpoints, readyFromSlices, HOSTNAMES_MAP_ANNOTATION } from './endpoints.js';
import { isOwnedKey, scannedPrefixes } from './ownership.js';
import { podRecords } from './pod.js';
import { serviceRecords } from './service.js';
import type { RecordContext, ServiceLike } from './types.js';
import { versionRecords } from './version.js';

const ctx: RecordContext = { domain: 'cluster.local.', prefix: 'skydns' };
const a = (ip: string): string => `{"host":"${ip}","priority":10,"weight":10,"ttl":30,"targetstrip":0}`;
const srv = (host: string, port: number): string =>
  `{"host":"${host}","port":${port},"priority":10,"weight":10,"ttl":30,"targetstrip":0}`;
const sorted = (m: Map<string, string>): Array<[string, string]> =>
  [...m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

const kubernetes: ServiceLike = {
  metadata: { name: 'kubernetes', namespace: 'default' },
  spec: { type: 'ClusterIP', clusterIP: '10.0.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443 }] },
};

test('default/kubernetes: A, SRV for the named port and PTR, exact keys and values', () => {
  const { records, warnings } = serviceRecords(ctx, kubernetes, undefined);
  assert.deepEqual(warnings, []);
  assert.deepEqual(sorted(records), [
    ['/skydns/arpa/in-addr/10/0/0/1', a('kubernetes.default.svc.cluster.local.')],
    [
      '/skydns/local/cluster/svc/default/kubernetes/_tcp/_https/c88f1059',
      srv('kubernetes.default.svc.cluster.local.', 443),
    ],
    ['/skydns/local/cluster/svc/default/kubernetes/c88f1059', a('10.0.0.1')],
  ]);
});

test('kube-system/kube-dns: SRV per named port with the lower-case protocol', () => {
  const { records } = serviceRecords(
    ctx,
    {
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: {
        clusterIP: '10.0.0.10',
        ports: [
          { name: 'dns', protocol: 'UDP', port: 53 },
          { name: 'dns-tcp', protocol: 'TCP', port: 53 },
        ],
      },
    },
    undefined,
  );
  const target = 'kube-dns.kube-system.svc.cluster.local.';
  assert.deepEqual(sorted(records), [
    ['/skydns/arpa/in-addr/10/0/0/10', a(target)],
    ['/skydns/local/cluster/svc/kube-system/kube-dns/21172049', a('10.0.0.10')],
    ['/skydns/local/cluster/svc/kube-system/kube-dns/_tcp/_dns-tcp/21172049', srv(target, 53)],
    ['/skydns/local/cluster/svc/kube-system/kube-dns/_udp/_dns/21172049', srv(target, 53)],
  ]);
});

test('unnamed ports get no SRV; a port-less service still gets its A; NodePort/LoadBalancer are ClusterIP', () => {
  for (const spec of [
    { clusterIP: '10.0.183.39', ports: [{ protocol: 'TCP', port: 80 }] },
    { clusterIP: '10.0.183.39' },
    { type: 'NodePort', clusterIP: '10.0.183.39', ports: [{ port: 80 }] },
    { type: 'LoadBalancer', clusterIP: '10.0.183.39', ports: [] },
  ]) {
    const { records } = serviceRecords(
      ctx,
      { metadata: { name: 'test-service-2', namespace: 'e2e' }, spec },
      undefined,
    );
    assert.deepEqual(
      sorted(records),
      [
        ['/skydns/arpa/in-addr/10/0/183/39', a('test-service-2.e2e.svc.cluster.local.')],
        ['/skydns/local/cluster/svc/e2e/test-service-2/e3b7df90', a('10.0.183.39')],
      ],
      JSON.stringify(spec),
    );
  }
});

test('a named port without a protocol defaults to TCP as the API server would; a port without a number is skipped', () => {
  const { records, warnings } = serviceRecords(
    ctx,
    {
      metadata: { name: 's', namespace: 'n' },
      spec: { clusterIP: '10.0.0.1', ports: [{ name: 'http', port: 80 }, { name: 'bad' }] },
    },
    undefined,
  );
  assert.equal(records.get('/skydns/local/cluster/svc/n/s/_tcp/_http/c88f1059'), srv('s.n.svc.cluster.local.', 80));
  assert.equal([...records.keys()].filter((k) => k.includes('_bad')).length, 0);
  assert.match(warnings.join('\n'), /port "bad": null is not a port number/);
});

test('headless default/web: hostnames-map annotation label, hash label, SRV with the endpoint port, PTR only for the named endpoint', () => {
  const endpoints = readyFromEndpoints({
    metadata: {
      name: 'web',
      namespace: 'default',
      annotations: { [HOSTNAMES_MAP_ANNOTATION]: '{"10.244.1.5":{"HostName":"web-0"}}' },
    },
    subsets: [
      {
        addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.2.7' }],
        ports: [
          { name: 'http', protocol: 'TCP', port: 8080 },
          { protocol: 'TCP', port: 9090 },
        ],
      },
    ],
  });
  const { records, warnings } = serviceRecords(
    ctx,
    {
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
    },
    endpoints,
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(sorted(records), [
    ['/skydns/arpa/in-addr/10/244/1/5', a('web-0.web.default.svc.cluster.local.')],
    ['/skydns/local/cluster/svc/default/web/_tcp/_http/c89ee3', srv('c89ee3.web.default.svc.cluster.local.', 8080)],
    ['/skydns/local/cluster/svc/default/web/_tcp/_http/web-0', srv('web-0.web.default.svc.cluster.local.', 8080)],
    ['/skydns/local/cluster/svc/default/web/c89ee3', a('10.244.2.7')],
    ['/skydns/local/cluster/svc/default/web/web-0', a('10.244.1.5')],
  ]);
});

test('headless: the address hostname field wins over the annotation; invalid hostnames and duplicates fall back to the hash', () => {
  const endpoints = readyFromEndpoints({
    metadata: {
      name: 'db',
      namespace: 'ns1',
      annotations: {
        [HOSTNAMES_MAP_ANNOTATION]: '{"10.244.1.5":{"HostName":"old"},"10.244.2.7":{"HostName":"Not_Valid"}}',
      },
    },
    subsets: [
      {
        addresses: [
          { ip: '10.244.1.5', hostname: 'db-0' },
          { ip: '10.244.2.7' },
          { ip: '10.0.0.10', hostname: 'db-0' },
        ],
      },
    ],
  });
  const { records, warnings } = serviceRecords(
    ctx,
    { metadata: { name: 'db', namespace: 'ns1' }, spec: { clusterIP: 'None' } },
    endpoints,
  );
  assert.deepEqual(sorted(records), [
    ['/skydns/arpa/in-addr/10/244/1/5', a('db-0.db.ns1.svc.cluster.local.')],
    ['/skydns/local/cluster/svc/ns1/db/21172049', a('10.0.0.10')],
    ['/skydns/local/cluster/svc/ns1/db/c89ee3', a('10.244.2.7')],
    ['/skydns/local/cluster/svc/ns1/db/db-0', a('10.244.1.5')],
  ]);
  assert.match(warnings.join('\n'), /"Not_Valid" of 10.244.2.7 is not a DNS-1123 label/);
  assert.match(warnings.join('\n'), /"db-0" is used by 10.244.1.5 and 10.0.0.10/);
});

test('headless: a malformed annotation warns and falls back; no endpoints or no ready addresses → no keys', () => {
  const bad = readyFromEndpoints({
    metadata: { annotations: { [HOSTNAMES_MAP_ANNOTATION]: '{not json' } },
    subsets: [{ addresses: [{ ip: '10.244.2.7' }], ports: [] }],
  });
  assert.match(bad.warnings.join(), /is not valid JSON/);
  const svc: ServiceLike = { metadata: { name: 'h', namespace: 'n' }, spec: { clusterIP: 'None' } };
  assert.deepEqual([...serviceRecords(ctx, svc, bad).records.keys()], ['/skydns/local/cluster/svc/n/h/c89ee3']);
  assert.equal(serviceRecords(ctx, svc, undefined).records.size, 0);
  const notReady = readyFromEndpoints({ subsets: [{ ports: [{ name: 'http', port: 80 }] }] });
  assert.equal(serviceRecords(ctx, svc, notReady).records.size, 0);
  assert.equal(
    serviceRecords(
      ctx,
      { ...svc, spec: { clusterIP: '' } },
      readyFromEndpoints({ subsets: [{ addresses: [{ ip: '10.244.2.7' }] }] }),
    ).records.size,
    1,
    'empty clusterIP is headless',
  );
});

test('headless from EndpointSlices: ready (or unknown) endpoints only, slice ports, IPv6 with ip6.arpa PTR', () => {
  const ready = readyFromSlices([
    {
      metadata: { name: 'web-b' },
      addressType: 'IPv6',
      endpoints: [{ addresses: ['fd00::5'], hostname: 'web-1', conditions: { ready: true } }],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    },
    {
      metadata: { name: 'web-a' },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.1.5'], hostname: 'web-0', conditions: { ready: true } },
        { addresses: ['10.244.2.7'], conditions: {} },
        { addresses: ['10.244.3.3'], conditions: { ready: false } },
      ],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    },
    { metadata: { name: 'web-fqdn' }, addressType: 'FQDN', endpoints: [{ addresses: ['x.example.com'] }] },
  ]);
  const { records } = serviceRecords(
    ctx,
    { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: 'None' } },
    ready,
  );
  const v6label = [...records.keys()].find((k) => k.startsWith('/skydns/arpa/ip6/'));
  assert.equal(v6label, '/skydns/arpa/ip6/f/d/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/5');
  assert.equal(records.get(v6label), a('web-1.web.default.svc.cluster.local.'));
  assert.equal(records.get('/skydns/local/cluster/svc/default/web/web-1'), a('fd00::5'));
  assert.equal(records.get('/skydns/local/cluster/svc/default/web/c89ee3'), a('10.244.2.7'));
  assert.equal(
    records.get('/skydns/local/cluster/svc/default/web/_tcp/_http/web-0'),
    srv('web-0.web.default.svc.cluster.local.', 8080),
  );
  assert.equal(
    [...records.values()].some((v) => v.includes('10.244.3.3')),
    false,
    'not-ready endpoint',
  );
  assert.equal(records.size, 8, [...records.keys()].join('\n'));
});

test('ExternalName: one record whose host is the external name (SkyDNS answers it as a CNAME); bad names give none', () => {
  const { records } = serviceRecords(
    ctx,
    {
      metadata: { name: 'ext', namespace: 'default' },
      spec: { type: 'ExternalName', externalName: 'my.database.example.com' },
    },
    undefined,
  );
  const value = a('my.database.example.com');
  assert.deepEqual(sorted(records), [['/skydns/local/cluster/svc/default/ext/b3f5d28b', value]]);
  const bad = serviceRecords(
    ctx,
    { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'a..b' } },
    undefined,
  );
  assert.equal(bad.records.size, 0);
  assert.match(bad.warnings.join(), /not a DNS name/);
});

test('IPv6 and dual-stack cluster IPs: one address record and PTR per IP, SRV under the primary IP label', () => {
  const { records } = serviceRecords(
    ctx,
    {
      metadata: { name: 'v6', namespace: 'default' },
      spec: {
        clusterIP: 'fd00:10:96::a',
        clusterIPs: ['fd00:10:96::a', '10.0.0.1'],
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      },
    },
    undefined,
  );
  const keys = [...records.keys()].sort();
  assert.equal(keys.length, 5, keys.join('\n'));
  assert.equal(records.get('/skydns/local/cluster/svc/default/v6/c88f1059'), a('10.0.0.1'));
  assert.ok(keys.includes('/skydns/arpa/ip6/f/d/0/0/0/0/1/0/0/0/9/6/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/a'));
  const srvKeys = keys.filter((k) => k.includes('/_tcp/_http/'));
  assert.equal(srvKeys.length, 1);
  assert.notEqual(srvKeys[0], '/skydns/local/cluster/svc/default/v6/_tcp/_http/c88f1059');
});

test('odd services give warnings, not exceptions', () => {
  const cases: ServiceLike[] = [
    {},
    { metadata: { name: 'Bad_Name', namespace: 'default' }, spec: { clusterIP: '10.0.0.1' } },
    { metadata: { name: 'x', namespace: 'default' }, spec: { clusterIP: '10.0.0' } },
  ];
  for (const svc of cases) {
    const result = serviceRecords(ctx, svc, undefined);
    assert.equal(result.records.size, 0);
    assert.ok(result.warnings.length > 0);
  }
});

test('pods: a-b-c-d under pod/<ns>, IPv6 dashed, nothing without an IP or in a terminal phase', () => {
  const pod = podRecords(ctx, {
    metadata: { name: 'p', namespace: 'default' },
    status: { phase: 'Running', podIP: '10.244.1.5' },
  });
  assert.deepEqual(sorted(pod.records), [['/skydns/local/cluster/pod/default/10-244-1-5/9e51737e', a('10.244.1.5')]]);
  const dual = podRecords(ctx, {
    metadata: { name: 'p', namespace: 'ns' },
    status: { podIP: '10.244.2.7', podIPs: [{ ip: '10.244.2.7' }, { ip: 'fd00::1' }] },
  });
  assert.equal(dual.records.get('/skydns/local/cluster/pod/ns/10-244-2-7/c89ee3'), a('10.244.2.7'));
  assert.ok([...dual.records.keys()].some((k) => k.startsWith('/skydns/local/cluster/pod/ns/fd00--1/')));
  assert.equal(
    podRecords(ctx, { metadata: { name: 'p', namespace: 'ns' }, status: { phase: 'Pending' } }).records.size,
    0,
  );
  assert.equal(
    podRecords(ctx, { metadata: { name: 'p', namespace: 'ns' }, status: { phase: 'Succeeded', podIP: '10.244.1.5' } })
      .records.size,
    0,
  );
  assert.match(
    podRecords(ctx, { metadata: { name: 'p', namespace: 'ns' }, status: { podIP: 'nope' } }).warnings.join(),
    /not an IP/,
  );
});

test('dns-version TXT, other domains and prefixes', () => {
  assert.deepEqual(sorted(versionRecords(ctx).records), [
    [
      `/skydns/local/cluster/dns-version/${[...versionRecords(ctx).records.keys()][0]?.split('/').pop()}`,
      '{"text":"1.1.0","ttl":28800,"targetstrip":0}',
    ],
  ]);
  const other: RecordContext = { domain: 'corp.example.', prefix: 'dns/prod' };
  const { records } = serviceRecords(other, kubernetes, undefined);
  assert.equal(records.get('/dns/prod/example/corp/svc/default/kubernetes/c88f1059'), a('10.0.0.1'));
  assert.equal(records.get('/dns/prod/arpa/in-addr/10/0/0/1'), a('kubernetes.default.svc.corp.example.'));
});

test('ownership: own subtrees and PTRs into our domain only', () => {
  assert.deepEqual(scannedPrefixes(ctx), [
    '/skydns/local/cluster/svc/',
    '/skydns/local/cluster/pod/',
    '/skydns/local/cluster/dns-version/',
    '/skydns/arpa/in-addr/',
    '/skydns/arpa/ip6/',
  ]);
  const cases: Array<[string, string, boolean]> = [
    ['/skydns/local/cluster/svc/default/x/1', a('10.0.0.1'), true],
    ['/skydns/local/cluster/pod/default/1-2-3-4/1', a('1.2.3.4'), true],
    ['/skydns/local/cluster/dns-version/abc', '{}', true],
    ['/skydns/arpa/in-addr/10/0/0/1', a('kubernetes.default.svc.cluster.local.'), true],
    ['/skydns/arpa/in-addr/10/0/0/2', a('host.other.local.'), false],
    ['/skydns/arpa/in-addr/10/0/0/3', a('x.default.svc.cluster.local.other.'), false],
    ['/skydns/arpa/in-addr/10/0/0/4', 'not json', false],
    ['/skydns/config', '{}', false],
    ['/skydns/local/cluster/dns/ns/a', a('10.0.0.10'), false],
    ['/skydns/local/cluster/svcx/a', a('10.0.0.10'), false],
    ['/skydns/local/other/svc/default/x/1', a('10.0.0.1'), false],
  ];
  for (const [key, value, owned] of cases) assert.equal(isOwnedKey(ctx, key, value), owned, key);
});

test('values no record can carry are skipped with a warning: bad IPs (IPv4-mapped, zoned), ports, ExternalNames', () => {
  const cases: Array<[string, ReturnType<typeof serviceRecords>, RegExp]> = [
    [
      'IPv4-mapped pod IP',
      podRecords(ctx, { metadata: { name: 'p', namespace: 'default' }, status: { podIP: '::ffff:10.244.9.7' } }),
      /IPv4-mapped/,
    ],
    [
      'IPv4-mapped pod IP, long form',
      podRecords(ctx, { metadata: { name: 'p', namespace: 'default' }, status: { podIP: '0:0:0:0:0:ffff:af4:907' } }),
      /IPv4-mapped/,
    ],
    [
      'zoned pod IP',
      podRecords(ctx, { metadata: { name: 'p', namespace: 'default' }, status: { podIP: 'fe80::1%eth0' } }),
      /with a zone/,
    ],
    [
      'IPv4-mapped cluster IP',
      serviceRecords(
        ctx,
        { metadata: { name: 's', namespace: 'd' }, spec: { clusterIP: '::ffff:10.0.0.5' } },
        undefined,
      ),
      /IPv4-mapped/,
    ],
    [
      'IPv4-mapped endpoint',
      serviceRecords(
        ctx,
        { metadata: { name: 's', namespace: 'd' }, spec: { clusterIP: 'None' } },
        readyFromEndpoints({ subsets: [{ addresses: [{ ip: '::ffff:10.1.1.1' }] }] }),
      ),
      /IPv4-mapped/,
    ],
    [
      'zoned slice endpoint',
      serviceRecords(
        ctx,
        { metadata: { name: 's', namespace: 'd' }, spec: { clusterIP: 'None' } },
        readyFromSlices([{ addressType: 'IPv6', endpoints: [{ addresses: ['fe80::1%eth0'] }] }]),
      ),
      /with a zone/,
    ],
    ...['a b.example.com', 'bang!.example.com', '256.1.1.1', 'x.1', 'under_score.example.com', '::1', 'a..b'].map(
      (externalName): [string, ReturnType<typeof serviceRecords>, RegExp] => [
        `ExternalName ${externalName}`,
        serviceRecords(
          ctx,
          { metadata: { name: 's', namespace: 'd' }, spec: { type: 'ExternalName', externalName } },
          undefined,
        ),
        /is not a DNS name/,
      ],
    ),
  ];
  for (const [what, { records, warnings }, warning] of cases) {
    assert.equal(records.size, 0, what);
    assert.match(warnings.join('\n'), warning, what);
  }
  for (const port of [0, 70000, 80.5, -1]) {
    const { records, warnings } = serviceRecords(
      ctx,
      { metadata: { name: 's', namespace: 'd' }, spec: { clusterIP: '10.0.0.5', ports: [{ name: 'http', port }] } },
      undefined,
    );
    assert.equal([...records.keys()].filter((k) => k.includes('_http')).length, 0, `port ${port}`);
    assert.match(warnings.join(), /is not a port number \(1-65535\); no SRV record/, `port ${port}`);
  }
  // Still fine: an IPv4 address as the ExternalName (an A record), upper case, a trailing dot, IPv6 pods.
  for (const externalName of ['1.2.3.4', 'DB.Example.com', 'db.example.com.'])
    assert.equal(
      serviceRecords(
        ctx,
        { metadata: { name: 's', namespace: 'd' }, spec: { type: 'ExternalName', externalName } },
        undefined,
      ).records.size,
      1,
      externalName,
    );
  assert.equal(
    podRecords(ctx, { metadata: { name: 'p', namespace: 'default' }, status: { podIP: '::ffff:0:1:2' } }).records.size,
    1,
    'not IPv4-mapped',
  );
});
