import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePodManifest } from './manifest.js';
import { planProcesses, rewriteArg, POD_PORTS } from './plan.js';

const MANIFEST = `
apiVersion: v1
kind: ReplicationController
metadata: { name: kube-dns-v11, namespace: kube-system }
spec:
  template:
    spec:
      containers:
      - name: etcd
        command: [/usr/local/bin/etcd, -data-dir, /var/etcd/data, -listen-client-urls, "http://127.0.0.1:2379,http://127.0.0.1:4001", -advertise-client-urls, "http://127.0.0.1:2379,http://127.0.0.1:4001", -initial-cluster-token, skydns-etcd]
      - name: kube2sky
        args: [--domain=cluster.local]
        livenessProbe:
          httpGet: { path: /healthz, port: 8080 }
          initialDelaySeconds: 60
          timeoutSeconds: 5
          failureThreshold: 5
      - name: skydns
        args: [-machines=http://127.0.0.1:4001, -addr=0.0.0.0:53, -ns-rotate=false, -domain=cluster.local., -stubzones]
        env: [{ name: PROMETHEUS_PORT, value: "9153" }]
        livenessProbe:
          httpGet: { path: /healthz, port: 9153 }
      - name: healthz
        args: ["-cmd=nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null", -port=8080]
`;

const ports = new Map<number, number>([
  [POD_PORTS.dns, 20053],
  [POD_PORTS.etcd, 22379],
  [POD_PORTS.etcdLegacy, 24001],
  [POD_PORTS.etcdPeer, 22380],
  [POD_PORTS.healthz, 28080],
  [POD_PORTS.readiness, 28081],
  [POD_PORTS.metrics, 29153],
]);

test('arguments are rewritten for loopback without touching anything else', () => {
  const cases: Array<[string, string]> = [
    ['-addr=0.0.0.0:53', '-addr=127.0.0.1:20053'],
    ['-machines=http://127.0.0.1:4001', '-machines=http://127.0.0.1:24001'],
    ['http://127.0.0.1:2379,http://127.0.0.1:4001', 'http://127.0.0.1:22379,http://127.0.0.1:24001'],
    ['-port=8080', '-port=28080'],
    ['--domain=cluster.local', '--domain=cluster.local'],
    ['-domain=cluster.local.', '-domain=cluster.local.'],
    ['-nameservers=8.8.8.8:53', '-nameservers=8.8.8.8:53'],
    ['-nameservers=127.0.0.1:53', '-nameservers=127.0.0.1:20053'],
    ['http://localhost:4001', 'http://localhost:24001'],
    ['--resync-period=30m', '--resync-period=30m'],
    ['10.0.0.53', '10.0.0.53'],
    ['-port=12345', '-port=12345'],
  ];
  for (const [arg, expected] of cases) assert.equal(rewriteArg(arg, ports), expected, arg);
});

test('the manifest becomes local processes with its own arguments', () => {
  const specs = planProcesses(parsePodManifest(MANIFEST), {
    repoRoot: '/repo',
    stateDir: '/state',
    ports,
    kubeconfig: '/state/kubeconfig',
    node: '/usr/bin/node',
  });
  assert.deepEqual(
    specs.map((s) => s.name),
    ['etcd', 'kube2sky', 'skydns', 'healthz'],
  );
  const [etcd, kube2sky, skydns, healthz] = specs;
  assert.deepEqual(etcd, {
    name: 'etcd',
    command: 'etcd',
    args: [
      '-data-dir',
      '/state/etcd-data',
      '-listen-client-urls',
      'http://127.0.0.1:22379,http://127.0.0.1:24001',
      '-advertise-client-urls',
      'http://127.0.0.1:22379,http://127.0.0.1:24001',
      '-initial-cluster-token',
      'skydns-etcd',
      '--name',
      'default',
      '--listen-peer-urls',
      'http://127.0.0.1:22380',
      '--initial-advertise-peer-urls',
      'http://127.0.0.1:22380',
      '--initial-cluster',
      'default=http://127.0.0.1:22380',
    ],
    env: {},
  });
  assert.deepEqual(kube2sky?.args, [
    '/repo/packages/kube2sky/dist/main.js',
    '--domain=cluster.local',
    '--etcd-server=http://127.0.0.1:24001',
    '--healthz-port=28081',
    '--kubecfg-file=/state/kubeconfig',
    '--bind-address=127.0.0.1',
  ]);
  assert.deepEqual(kube2sky?.livenessProbe, {
    path: '/healthz',
    port: 28080,
    initialDelaySeconds: 60,
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 5,
  });
  assert.deepEqual(skydns?.args, [
    '/repo/packages/skydns/dist/main.js',
    '-machines=http://127.0.0.1:24001',
    '-addr=127.0.0.1:20053',
    '-ns-rotate=false',
    '-domain=cluster.local.',
    '-stubzones',
  ]);
  assert.deepEqual(skydns?.env, { PROMETHEUS_PORT: '29153' });
  assert.equal(skydns?.livenessProbe?.port, 29153);
  assert.deepEqual(healthz?.args, [
    '/repo/packages/exechealthz/dist/main.js',
    '-cmd=busybox nslookup kubernetes.default.svc.cluster.local 127.0.0.1:20053 >/dev/null',
    '-port=28080',
    '-bind-address=127.0.0.1',
  ]);
  assert.equal(healthz?.command, '/usr/bin/node');
});

test('manifests the local pod cannot run are clear errors', () => {
  assert.throws(() => parsePodManifest('kind: Service\n'), /no ReplicationController or Deployment/);
  assert.throws(() => parsePodManifest('kind: ReplicationController\nspec: {}\n'), /spec.template: expected an object/);
  assert.throws(
    () => parsePodManifest('kind: ReplicationController\nspec: {template: {spec: {containers: [{args: [1]}]}}}\n'),
    /containers\[0\].name/,
  );
  assert.throws(
    () => parsePodManifest('a: [\n\t- x', 'bad.yaml'),
    /in "bad.yaml"/,
    'a YAML syntax error names the file',
  );
  const unknown = parsePodManifest(
    'kind: ReplicationController\nspec: {template: {spec: {containers: [{name: coredns}]}}}\n',
  );
  assert.throws(
    () => planProcesses(unknown, { repoRoot: '/r', stateDir: '/s', ports, kubeconfig: '/k', node: 'node' }),
    /container coredns: no local stand-in/,
  );
});

test('the checked-in manifest plans into the four local processes with its own arguments', async () => {
  const { loadPodManifest } = await import('./manifest.js');
  const manifest = new URL('../../../manifests/skydns-rc.yaml', import.meta.url).pathname;
  const specs = planProcesses(await loadPodManifest(manifest), {
    repoRoot: '/repo',
    stateDir: '/state',
    ports,
    kubeconfig: '/k',
    node: 'node',
  });
  assert.deepEqual(
    specs.map((s) => s.name),
    ['etcd', 'kube2sky', 'skydns', 'healthz'],
  );
  const byName = new Map(specs.map((s) => [s.name, s]));
  assert.deepEqual(byName.get('skydns')?.args.slice(1), [
    '-machines=http://127.0.0.1:24001',
    '-addr=127.0.0.1:20053',
    '-ns-rotate=false',
    '-domain=cluster.local.',
    '-stubzones',
  ]);
  assert.equal(byName.get('skydns')?.env.PROMETHEUS_PORT, '29153');
  assert.equal(
    byName.get('kube2sky')?.livenessProbe?.port,
    28080,
    'kube2sky liveness goes through the healthz sidecar',
  );
  assert.ok(byName.get('kube2sky')?.args.includes('--domain=cluster.local'));
  assert.ok(
    byName
      .get('healthz')
      ?.args.includes('-cmd=busybox nslookup kubernetes.default.svc.cluster.local 127.0.0.1:20053 >/dev/null'),
  );
  assert.ok(byName.get('etcd')?.args.includes('http://127.0.0.1:22379,http://127.0.0.1:24001'));
});
