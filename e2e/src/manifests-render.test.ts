import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { ReplicationController, Service, ServiceAccount, type IContainer } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';

import { parseExechealthzArgs } from '@kube-dns-legacy/exechealthz';
import { parseKube2skyArgs } from '@kube-dns-legacy/kube2sky';
import { parseSkydnsArgs } from '@kube-dns-legacy/skydns';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RENDER = join(ROOT, 'manifests', 'render.sh');

function render(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('bash', [RENDER, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

type Doc = { apiVersion?: string; kind?: string } & Record<string, unknown>;

function validate(doc: Doc): void {
  const models: Record<string, (d: never) => { validate(): void }> = {
    'v1/ReplicationController': (d) => new ReplicationController(d),
    'v1/Service': (d) => new Service(d),
    'v1/ServiceAccount': (d) => new ServiceAccount(d),
    'rbac.authorization.k8s.io/v1/ClusterRole': (d) => new ClusterRole(d),
    'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (d) => new ClusterRoleBinding(d),
    'rbac.authorization.k8s.io/v1/Role': (d) => new Role(d),
    'rbac.authorization.k8s.io/v1/RoleBinding': (d) => new RoleBinding(d),
  };
  const make = models[`${doc.apiVersion}/${doc.kind}`];
  assert.ok(make, `a schema for ${doc.apiVersion}/${doc.kind}`);
  make(doc as never).validate();
}

test('render.sh substitutes domain, DNS IP, registry, version and replicas, and the result is still valid', () => {
  const run = render([
    '--domain=corp.example',
    '--dns-ip',
    '10.96.0.10',
    '--registry=registry.corp.example:5000/dns',
    '--version=1.2.3',
    '--replicas=2',
  ]);
  assert.equal(run.status, 0, run.stderr);
  for (const old of ['cluster.local', '10.0.0.10', 'localhost:5000', ':0.1.0'])
    assert.ok(!run.stdout.includes(old), `no ${old} left`);

  const docs = yaml.loadAll(run.stdout) as Doc[];
  assert.deepEqual(
    docs.map((d) => d.kind),
    [
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'ReplicationController',
      'Service',
    ],
  );
  docs.forEach(validate);

  const rc = new ReplicationController(docs[7] as never);
  assert.equal(rc.spec?.replicas, 2);
  const byName = new Map<string, IContainer>((rc.spec?.template?.spec?.containers ?? []).map((c) => [c.name, c]));
  assert.deepEqual(byName.get('skydns')?.args, [
    '-machines=http://127.0.0.1:4001',
    '-addr=0.0.0.0:53',
    '-ns-rotate=false',
    '-domain=corp.example.',
    '-stubzones',
  ]);
  assert.equal(byName.get('kube2sky')?.image, 'registry.corp.example:5000/dns/kube-dns-legacy-kube2sky:1.2.3');
  assert.equal(byName.get('skydns')?.image, 'registry.corp.example:5000/dns/kube-dns-legacy-skydns:1.2.3');
  assert.equal(byName.get('healthz')?.image, 'registry.corp.example:5000/dns/kube-dns-legacy-exechealthz:1.2.3');
  assert.match(byName.get('etcd')?.image ?? '', /^registry\.k8s\.io\/etcd:/, 'etcd keeps its upstream image');

  const healthz = parseExechealthzArgs(byName.get('healthz')?.args ?? [], {});
  assert.ok(
    !healthz.help && healthz.config.cmd === 'nslookup kubernetes.default.svc.corp.example 127.0.0.1 >/dev/null',
  );
  assert.equal(parseKube2skyArgs(byName.get('kube2sky')?.args ?? [], {}).domain, 'corp.example.');
  assert.equal(parseSkydnsArgs([...(byName.get('skydns')?.args ?? [])], {}).domain, 'corp.example.');
  assert.equal(new Service(docs[8] as never).spec?.clusterIP, '10.96.0.10');
});

test('render.sh with no flags reproduces the checked-in manifests', () => {
  const run = render([]);
  assert.equal(run.status, 0, run.stderr);
  const expected = ['rbac.yaml', 'skydns-rc.yaml', 'skydns-svc.yaml']
    .map((f) => readFileSync(join(ROOT, 'manifests', f), 'utf8'))
    .join('---\n');
  assert.equal(run.stdout, expected);
});

test('render.sh --out writes the three files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'render-'));
  try {
    const run = render(['--out', dir, '--domain=k8s.test']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['rbac.yaml', 'skydns-rc.yaml', 'skydns-svc.yaml']);
    assert.match(readFileSync(join(dir, 'skydns-rc.yaml'), 'utf8'), /-domain=k8s\.test\.\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('render.sh rejects bad values with a clear message and prints nothing', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--domain=Cluster.Local'], /invalid --domain "Cluster.Local"/],
    [['--domain=cluster.local.'], /invalid --domain/],
    [['--dns-ip=10.0.0.300'], /invalid --dns-ip "10.0.0.300"/],
    [['--registry=my registry'], /invalid --registry/],
    [['--version=a/b'], /invalid --version/],
    [['--replicas=two'], /invalid --replicas/],
    [['--colour=blue'], /unknown flag --colour/],
  ];
  for (const [args, pattern] of cases) {
    const run = render(args);
    assert.equal(run.status, 2, args.join(' '));
    assert.match(run.stderr, pattern);
    assert.equal(run.stdout, '');
  }
  const help = render(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--dns-ip/);
});
