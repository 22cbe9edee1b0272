import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSkydnsArgs, parseSkydnsArgsWithWarnings } from './cli.js';
import { applyEtcdConfig, ConfigError } from './config.js';

const MANIFEST = '-machines=http://127.0.0.1:4001 -addr=0.0.0.0:53 -ns-rotate=false -domain=cluster.local.'.split(' ');

test('the manifest line parses unchanged', () => {
  const c = parseSkydnsArgs(MANIFEST, {});
  assert.deepEqual(c.machines, ['http://127.0.0.1:4001']);
  assert.deepEqual(c.addr, { host: '0.0.0.0', port: 53 });
  assert.equal(c.nsRotate, false);
  assert.equal(c.domain, 'cluster.local.');
  assert.equal(c.hostmaster, 'hostmaster.cluster.local.');
  assert.equal(c.roundRobin, true);
  assert.equal(c.answerCache, true);
  assert.equal(c.noRec, false);
  assert.equal(c.nameservers, undefined, 'resolv.conf');
  assert.equal(c.rtimeoutMs, 2000);
  assert.equal(c.pathPrefix, 'skydns');
  assert.equal(c.metricsPort, undefined);
  assert.equal(c.ttl, 3600);
  assert.equal(c.minTtl, 60);
  assert.equal(c.ndots, 2);
});

test('defaults, double dashes, separate values and environment', () => {
  const d = parseSkydnsArgs([], {});
  assert.deepEqual(d.addr, { host: '127.0.0.1', port: 53 });
  assert.equal(d.domain, 'skydns.local.');
  assert.deepEqual(d.machines, ['http://127.0.0.1:2379']);
  const c = parseSkydnsArgs(
    [
      '--addr',
      '127.0.0.1:5353',
      '-no-rec',
      '--rcache=100',
      '-rcache-ttl',
      '30',
      '-rtimeout=500ms',
      '-hostmaster=dns@example.org',
      '-nameservers=10.0.0.1,[fd00::1]:5353,10.0.0.2:54',
      '-round-robin=false',
      '-local=node1.cluster.local',
      '-verbose',
    ],
    {
      SKYDNS_DOMAIN: 'Cluster.Local',
      ETCD_MACHINES: 'http://10.0.0.1:2379,https://10.0.0.2:2379',
      PROMETHEUS_PORT: '9153',
      SKYDNS_PATH_PREFIX: 'dns',
    },
  );
  assert.deepEqual(c.addr, { host: '127.0.0.1', port: 5353 });
  assert.equal(c.noRec, true);
  assert.equal(c.rcache, 100);
  assert.equal(c.rcacheTtl, 30);
  assert.equal(c.rtimeoutMs, 500);
  assert.equal(c.hostmaster, 'dns.example.org.');
  assert.deepEqual(c.nameservers, [
    { host: '10.0.0.1', port: 53 },
    { host: 'fd00::1', port: 5353 },
    { host: '10.0.0.2', port: 54 },
  ]);
  assert.equal(c.roundRobin, false);
  assert.equal(c.local, 'node1.cluster.local.');
  assert.equal(c.verbose, true);
  assert.equal(c.domain, 'cluster.local.');
  assert.deepEqual(c.machines, ['http://10.0.0.1:2379', 'https://10.0.0.2:2379']);
  assert.equal(c.metricsPort, 9153);
  assert.equal(c.pathPrefix, 'dns');
  assert.equal(c.metricsPrefix, 'skydns_skydns_');
  assert.equal(parseSkydnsArgs(['-addr=[::1]:53'], {}).addr.host, '::1');
  assert.equal(parseSkydnsArgs(['-etcd3', '-scache=5'], {}).machines.length, 1, 'compatibility flags accepted');
});

test('PROMETHEUS_PORT from a service link is ignored with a warning', () => {
  const { config, warnings } = parseSkydnsArgsWithWarnings([], { PROMETHEUS_PORT: 'tcp://10.0.0.5:9090' });
  assert.equal(config.metricsPort, undefined);
  assert.match(warnings[0] ?? '', /not a port number/);
  assert.equal(parseSkydnsArgs(['-metrics-port=9000'], { PROMETHEUS_PORT: '1' }).metricsPort, 9000);
});

test('bad flags are clear errors', () => {
  const cases: Array<[string[], RegExp]> = [
    [['-bogus'], /Unknown argument: bogus/],
    [['-addr=localhost:53'], /-addr "localhost:53" must be an IP address and a port/],
    [['-addr=0.0.0.0'], /must be an IP address and a port/],
    [['-nameservers=dns.google'], /-nameservers: nameserver "dns.google" is not an IP address/],
    [['-rtimeout=soon'], /-rtimeout: invalid duration "soon"/],
    [['-rcache=-1'], /-rcache must be an integer/],
    [['-machines=127.0.0.1:4001'], /is not an http\(s\):\/\/host:port URL/],
    [['-systemd'], /socket activation is not supported/],
    [['-dnssec=Kcluster.local+008+1234'], /DNSSEC signing is not supported/],
    [['stray'], /stray/],
    [['-tls-key=k.pem'], /-tls-key and -tls-pem must be given together/],
    [['-allow-recursion=10.0.0.0/8,intranet'], /-allow-recursion: "intranet" is not a network/],
    [
      ['-domain='],
      /-domain must name the domain to serve, e.g. cluster.local. \(got "": that would serve the root zone\)/,
    ],
    [['--domain', ''], /-domain must name the domain to serve/],
    [['-domain=.'], /-domain must name the domain to serve/],
    [['-domain=cluster local'], /-domain "cluster local" is not a domain name/],
    [['-domain=a..b'], /-domain "a..b" is not a domain name: name has an empty label/],
    [['-tcp-max-connections-per-client=-1'], /-tcp-max-connections-per-client must be an integer from 0 to 100000/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseSkydnsArgs(argv, {}),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      argv.join(' '),
    );
  }
});

test('-allow-recursion, -stubzones and -autopath', () => {
  const base = parseSkydnsArgs(MANIFEST, {});
  assert.equal(base.allowRecursion, undefined, 'every client by default');
  assert.equal(base.stubzones, false);
  assert.equal(base.autopath, false);
  const c = parseSkydnsArgs(
    [...MANIFEST, '-allow-recursion', '10.0.0.0/8, fd00::/8,192.0.2.1', '-stubzones', '--autopath'],
    {},
  );
  assert.deepEqual(c.allowRecursion, [
    { address: '10.0.0.0', prefix: 8, family: 4 },
    { address: 'fd00::', prefix: 8, family: 6 },
    { address: '192.0.2.1', prefix: 32, family: 4 },
  ]);
  assert.equal(c.stubzones, true);
  assert.equal(c.autopath, true);
});

test('/skydns/config overrides flags; malformed JSON is a clear error', () => {
  const base = parseSkydnsArgs(MANIFEST, {});
  const c = applyEtcdConfig(
    base,
    '{"ttl":300,"min_ttl":30,"priority":5,"ndot":3,"rcache":10,"rcache_ttl":20,"nameservers":["8.8.8.8:53"],"read_timeout":1000000000,"ns_rotate":true,"hostmaster":"me@example.org","unknown":1}',
  );
  assert.equal(c.ttl, 300);
  assert.equal(c.minTtl, 30);
  assert.equal(c.priority, 5);
  assert.equal(c.ndots, 3);
  assert.equal(c.rcache, 10);
  assert.equal(c.rcacheTtl, 20);
  assert.deepEqual(c.nameservers, [{ host: '8.8.8.8', port: 53 }]);
  assert.equal(c.rtimeoutMs, 1000);
  assert.equal(c.nsRotate, true);
  assert.equal(c.hostmaster, 'me.example.org.');
  assert.equal(applyEtcdConfig(base, '{"domain":"example.org"}').hostmaster, 'hostmaster.example.org.');
  assert.throws(() => applyEtcdConfig(base, '{"ttl":'), /\/skydns\/config is not valid JSON/);
  assert.throws(() => applyEtcdConfig(base, '{"ttl":"30"}'), /"ttl" must be a non-negative integer/);
  assert.throws(() => applyEtcdConfig(base, '[]'), /must be a JSON object/);
  assert.throws(
    () => applyEtcdConfig(base, '{"domain":""}'),
    /\/skydns\/config: "domain" must name the domain to serve/,
  );
});

test('messages about the config key name the key under -path-prefix', () => {
  const base = parseSkydnsArgs([...MANIFEST, '-path-prefix=dns'], {});
  assert.throws(() => applyEtcdConfig(base, '{"ttl":'), /^ConfigError: \/dns\/config is not valid JSON/);
  assert.throws(() => applyEtcdConfig(base, '{"ttl":"30"}'), /^ConfigError: \/dns\/config: "ttl" must be/);
  assert.throws(() => applyEtcdConfig(base, '[]'), /^ConfigError: \/dns\/config must be a JSON object/);
  assert.throws(() => applyEtcdConfig(base, '{"domain":" "}'), /^ConfigError: \/dns\/config: "domain" must name/);
  assert.throws(() => applyEtcdConfig(base, '{"systemd":true}'), /^ConfigError: \/dns\/config: "systemd"/);
  for (const text of ['{"ttl":', '{"ttl":"30"}', '[]', '{"dnssec":"k"}', '{"nameservers":["x"]}']) {
    assert.throws(
      () => applyEtcdConfig(base, text),
      (err: unknown) => err instanceof ConfigError && !err.message.includes('/skydns/'),
      text,
    );
  }
});

test('TCP connection limits: the global cap and the per-client limit (default 32, 0 = none)', () => {
  const d = parseSkydnsArgs(MANIFEST, {});
  assert.equal(d.tcpMaxConnections, 256);
  assert.equal(d.tcpMaxPerClient, 32);
  const c = parseSkydnsArgs([...MANIFEST, '-tcp-max-connections=1000', '--tcp-max-connections-per-client', '0'], {});
  assert.equal(c.tcpMaxConnections, 1000);
  assert.equal(c.tcpMaxPerClient, 0);
});

test('durations: Go units, a bare number as seconds, nothing else', () => {
  assert.equal(parseSkydnsArgs([...MANIFEST, '-rtimeout=1m30s'], {}).rtimeoutMs, 90_000);
  assert.equal(parseSkydnsArgs([...MANIFEST, '-rtimeout=3'], {}).rtimeoutMs, 3000);
  assert.throws(() => parseSkydnsArgs([...MANIFEST, '-rtimeout=2 s'], {}), /-rtimeout: invalid duration "2 s"/);
  assert.throws(() => parseSkydnsArgs([...MANIFEST, '-rtimeout=0s'], {}), /-rtimeout: must be positive/);
});

test('-answer-cache=false turns the encoded-answer cache off (for benchmarks)', () => {
  assert.equal(parseSkydnsArgs([...MANIFEST, '-answer-cache=false'], {}).answerCache, false);
  assert.equal(parseSkydnsArgs([...MANIFEST, '--answer-cache', 'false'], {}).answerCache, false);
});
