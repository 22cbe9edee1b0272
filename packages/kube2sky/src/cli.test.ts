import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kube2skyArgsError, normalizeArgs, parseKube2skyArgs } from './cli.js';
import { expandEnv } from './env.js';

test('defaults are the original ones', () => {
  const c = parseKube2skyArgs([], {});
  assert.equal(c.domain, 'cluster.local.');
  assert.deepEqual(c.etcdServers, ['http://127.0.0.1:4001']);
  assert.equal(c.etcdMutationTimeoutMs, 10_000);
  assert.equal(c.healthzPort, 8081);
  assert.equal(c.bindAddress, '0.0.0.0', 'every interface: the kubelet probes the pod IP');
  assert.equal(c.kubeMasterUrl, undefined);
  assert.equal(c.kubecfgFile, undefined);
  assert.equal(c.etcdPrefix, 'skydns');
  assert.equal(c.resyncPeriodMs, 30 * 60_000);
  assert.equal(c.podRecords, 'verified');
  assert.equal(c.metricsPort, undefined);
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(c.dnsConfigMap, { namespace: 'kube-system', name: 'kube-dns' });
});

test('--config-map and --config-map-namespace (kube-dns spellings); empty: no ConfigMap', () => {
  assert.equal(parseKube2skyArgs(['--config-map='], {}).dnsConfigMap, undefined);
  assert.deepEqual(parseKube2skyArgs(['--config-map=my-dns', '-config-map-namespace=dns'], {}).dnsConfigMap, {
    namespace: 'dns',
    name: 'my-dns',
  });
  assert.throws(
    () => parseKube2skyArgs(['--config-map=Bad_Name'], {}),
    /--config-map: "Bad_Name" is not a valid ConfigMap name/,
  );
  assert.throws(
    () => parseKube2skyArgs(['--config-map-namespace=a.b'], {}),
    /--config-map-namespace: "a.b" is not a valid namespace/,
  );
});

test('manifest spellings: --domain=, -domain=, underscores with a deprecation note, glog flags ignored', () => {
  assert.equal(parseKube2skyArgs(['--domain=Cluster.Local.'], {}).domain, 'cluster.local.');
  assert.equal(parseKube2skyArgs(['-domain=example.org'], {}).domain, 'example.org.');
  assert.equal(parseKube2skyArgs(['-domain', 'example.org'], {}).domain, 'example.org.');
  const old = parseKube2skyArgs(
    [
      '-kube_master_url=http://master:8080',
      '--kubecfg_file=/etc/kube/config',
      '-etcd_mutation_timeout=2s',
      '-v=10',
      '-logtostderr',
    ],
    {},
  );
  assert.equal(old.kubeMasterUrl, 'http://master:8080');
  assert.equal(old.kubecfgFile, '/etc/kube/config');
  assert.equal(old.etcdMutationTimeoutMs, 2000);
  assert.match(old.warnings.join('\n'), /-kube_master_url is deprecated, use --kube-master-url/);
  assert.match(old.warnings.join('\n'), /-v=10 is ignored/);
  assert.deepEqual(normalizeArgs(['--v', '2', '--domain', 'a.b']).args, ['--domain', 'a.b']);
  assert.throws(
    () => parseKube2skyArgs(['--domain=a.b', '-v'], {}),
    (err: unknown) => err instanceof Kube2skyArgsError && /flag needs an argument: -v/.test(err.message),
  );
});

test('new flags: etcd list, prefix, TLS, resync, pod records, metrics port', () => {
  const c = parseKube2skyArgs(
    [
      '--etcd-server=https://e1:2379, https://e2:2379',
      '--etcd-prefix=dns/prod',
      '--etcd-cafile=/ca.pem',
      '--etcd-certfile=/c.pem',
      '--etcd-keyfile=/k.pem',
      '--resync-period=1m30s',
      '--pod-records=disabled',
      '--metrics-port=10055',
      '--healthz-port=0',
    ],
    {},
  );
  assert.deepEqual(c.etcdServers, ['https://e1:2379', 'https://e2:2379']);
  assert.equal(c.etcdPrefix, 'dns/prod');
  assert.equal(c.etcdCaFile, '/ca.pem');
  assert.equal(c.etcdKeyFile, '/k.pem');
  assert.equal(c.resyncPeriodMs, 90_000);
  assert.equal(c.podRecords, 'disabled');
  assert.equal(c.metricsPort, 10055);
  assert.equal(c.healthzPort, 0);
});

test('--kube-master-url expands environment variables', () => {
  const c = parseKube2skyArgs(['--kube-master-url=https://${KUBERNETES_SERVICE_HOST}:$KUBERNETES_SERVICE_PORT'], {
    KUBERNETES_SERVICE_HOST: '10.0.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  });
  assert.equal(c.kubeMasterUrl, 'https://10.0.0.1:443');
  assert.throws(
    () => parseKube2skyArgs(['--kube-master-url=https://${UNSET_HOST}:443'], {}),
    /needs an http:\/\/ or https:\/\/ scheme and a host|is not a URL/,
  );
});

test('bad flags are clear errors', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--no-such-flag'], /Unknown argument/],
    [['--domain=bad..name'], /--domain: "bad..name" is not a DNS name/],
    [['--etcd-server=127.0.0.1:4001'], /--etcd-server: "127.0.0.1:4001" (is not a URL|needs an http)/],
    [['--etcd-server=unix:///x'], /needs an http/],
    [['--etcd-mutation-timeout=ten'], /--etcd-mutation-timeout: invalid duration "ten"/],
    [['--healthz-port=99999'], /--healthz-port: expected a port number/],
    [['--pod-records=insecure'], /Invalid values/],
    [['--etcd-certfile=/c.pem'], /--etcd-certfile and --etcd-keyfile go together/],
    [['--domain=a.b', '--domain=c.d'], /--domain was given more than once/],
    [['stray'], /Unknown argument: stray/],
    [['--bind-address=localhost'], /--bind-address: "localhost" is not an IP address/],
    [
      ['--etcd-server=http://a:secret1@10.0.0.1:2379,http://a:secret2@10.0.0.2:2379'],
      /--etcd-server: etcd URLs http:\/\/a:\*\*\*@10\.0\.0\.1:2379 and http:\/\/a:\*\*\*@10\.0\.0\.2:2379 name different credentials/,
    ],
    [['--etcd-server=ftp://a:secret@10.0.0.1'], /--etcd-server: "ftp:\/\/a:\*\*\*@10\.0\.0\.1" needs an http/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseKube2skyArgs(args, {}),
      (err: unknown) => err instanceof Kube2skyArgsError && message.test(err.message) && !/secret/.test(err.message),
      args.join(' '),
    );
  }
});

test('durations (Go units or bare seconds) and env expansion', () => {
  assert.equal(parseKube2skyArgs(['--etcd-mutation-timeout=1h2m3s'], {}).etcdMutationTimeoutMs, 3_723_000);
  assert.equal(parseKube2skyArgs(['--etcd-mutation-timeout=5'], {}).etcdMutationTimeoutMs, 5000);
  assert.throws(
    () => parseKube2skyArgs(['--etcd-mutation-timeout=1d'], {}),
    /--etcd-mutation-timeout: invalid duration "1d"/,
  );
  assert.equal(expandEnv('a${X}b$Y-$Z', { X: '1', Y: '2' }), 'a1b2-');
});

test('--leader-elect and its timings, spelled as Kubernetes components spell them', () => {
  assert.equal(parseKube2skyArgs([], {}).leaderElection, undefined, 'off by default (one pod, one etcd)');
  assert.deepEqual(parseKube2skyArgs(['--leader-elect'], {}).leaderElection, {
    namespace: 'kube-system',
    name: 'kube2sky',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  });
  assert.equal(parseKube2skyArgs(['--leader-elect=false'], {}).leaderElection, undefined);
  const custom = parseKube2skyArgs(
    [
      '-leader-elect=true',
      '--leader-elect-lease-duration=30s',
      '--leader-elect-renew-deadline=20s',
      '--leader-elect-retry-period=5s',
      '--leader-elect-resource-name=dns-writer',
      '--leader-elect-resource-namespace=dns',
    ],
    {},
  );
  assert.deepEqual(custom.leaderElection, {
    namespace: 'dns',
    name: 'dns-writer',
    leaseDurationMs: 30_000,
    renewDeadlineMs: 20_000,
    retryPeriodMs: 5_000,
  });
  const bad: Array<[string[], RegExp]> = [
    [
      ['--leader-elect', '--leader-elect-lease-duration=10s'],
      /lease-duration must be longer than --leader-elect-renew-deadline/,
    ],
    [
      ['--leader-elect', '--leader-elect-retry-period=9s'],
      /renew-deadline must be longer than 1\.2 × --leader-elect-retry-period/,
    ],
    [['--leader-elect', '--leader-elect-resource-name=Not_A_Name'], /not a valid object name/],
    [['--leader-elect', '--leader-elect-resource-namespace=a.b'], /not a valid namespace/],
    [['--leader-elect', '--leader-elect-retry-period=soon'], /--leader-elect-retry-period/],
  ];
  for (const [args, message] of bad)
    assert.throws(
      () => parseKube2skyArgs(args, {}),
      (err: Error) => err instanceof Kube2skyArgsError && message.test(err.message),
      args.join(' '),
    );
});
