import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { Pod, ReplicationController, Service, ServiceAccount, type IContainer } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parseExechealthzArgs } from '@kube-dns-legacy/exechealthz';
import { parseKube2skyArgs } from '@kube-dns-legacy/kube2sky';
import { parseSkydnsArgs } from '@kube-dns-legacy/skydns';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFESTS = join(ROOT, 'manifests');

type Doc = Record<string, unknown>;
type Validated =
  | ReplicationController
  | Deployment
  | Service
  | ServiceAccount
  | Pod
  | ClusterRole
  | ClusterRoleBinding
  | Role
  | RoleBinding;

/** Schema-validate one document with the kubernetes-models class for its apiVersion and kind. */
function validated(doc: Doc, where: string): Validated {
  const kind = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
  let model: Validated;
  switch (kind) {
    case 'v1/ReplicationController':
      model = new ReplicationController(doc as never);
      break;
    case 'v1/Service':
      model = new Service(doc as never);
      break;
    case 'v1/ServiceAccount':
      model = new ServiceAccount(doc as never);
      break;
    case 'v1/Pod':
      model = new Pod(doc as never);
      break;
    case 'rbac.authorization.k8s.io/v1/ClusterRole':
      model = new ClusterRole(doc as never);
      break;
    case 'rbac.authorization.k8s.io/v1/ClusterRoleBinding':
      model = new ClusterRoleBinding(doc as never);
      break;
    case 'rbac.authorization.k8s.io/v1/Role':
      model = new Role(doc as never);
      break;
    case 'rbac.authorization.k8s.io/v1/RoleBinding':
      model = new RoleBinding(doc as never);
      break;
    case 'apps/v1/Deployment':
      model = new Deployment(doc as never);
      break;
    default:
      throw new Error(`${where}: no schema for ${kind} (add it to the test)`);
  }
  try {
    model.validate();
  } catch (err) {
    throw new Error(`${where}: ${kind} fails the Kubernetes OpenAPI schema: ${(err as Error).message}`);
  }
  return model;
}

/** The documents of a YAML stream, schema-validated. */
function loadText(text: string, where: string): Validated[] {
  return yaml
    .loadAll(text)
    .filter((d): d is Doc => d !== null && typeof d === 'object')
    .map((d, i) => validated(d, `${where} document ${i + 1}`));
}

function load(file: string): Validated[] {
  return loadText(readFileSync(join(MANIFESTS, file), 'utf8'), `manifests/${file}`);
}

function only<T extends Validated>(docs: Validated[], type: abstract new (...args: never[]) => T): T {
  const found = docs.filter((d): d is T => d instanceof type);
  assert.equal(found.length, 1, `exactly one ${type.name}`);
  return found[0] as T;
}

function podSpecOf(
  rc: ReplicationController,
): NonNullable<NonNullable<NonNullable<ReplicationController['spec']>['template']>['spec']> {
  const spec = rc.spec?.template?.spec;
  assert.ok(spec, 'the ReplicationController has a pod template');
  return spec;
}

function container(rc: ReplicationController, name: string): IContainer {
  const found = podSpecOf(rc).containers.find((c) => c.name === name);
  assert.ok(found, `container ${name}`);
  return found;
}

const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const OUR_IMAGE = /^(?<registry>[^\s]+)\/kube-dns-legacy-(?<name>kube2sky|skydns|exechealthz):(?<version>[\w][\w.-]*)$/;

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'packages', 'skydns', 'package.json'), 'utf8')) as { version: string }
).version;

test('every manifest document passes the Kubernetes OpenAPI schema', () => {
  const files = readdirSync(MANIFESTS).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['busybox.yaml', 'rbac.yaml', 'skydns-rc.yaml', 'skydns-svc.yaml']);
  const examples = readdirSync(join(MANIFESTS, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('examples', f));
  for (const file of [...files, ...examples]) assert.ok(load(file).length > 0, `${file} has documents`);
});

test('the schema check rejects broken documents (so a pass means something)', () => {
  const rc = yaml.load(readFileSync(join(MANIFESTS, 'skydns-rc.yaml'), 'utf8')) as Doc;
  const broken = structuredClone(rc) as {
    spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
  };
  broken.spec.template.spec.containers[2] = {
    ...broken.spec.template.spec.containers[2],
    ports: [{ containerPort: 'fifty-three' }],
  };
  assert.throws(() => validated(broken as Doc, 'broken'), /containerPort must be integer/);
  const nameless = structuredClone(rc) as typeof broken;
  delete nameless.spec.template.spec.containers[0]?.['name'];
  assert.throws(
    () => validated(nameless as Doc, 'nameless'),
    /must have required property 'name'|must have required property name/,
  );
  assert.throws(
    () => validated({ apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: '53' }] } }, 'svc'),
    /port must be integer/,
  );
});

test('skydns-rc.yaml: the kube-dns-v11 ReplicationController with the pod the original ran', () => {
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  assert.equal(rc.metadata?.name, 'kube-dns-v11');
  assert.equal(rc.metadata?.namespace, 'kube-system');
  const labels = { 'k8s-app': 'kube-dns', version: 'v11', 'kubernetes.io/cluster-service': 'true' };
  for (const [key, value] of Object.entries(labels)) {
    assert.equal(rc.metadata?.labels?.[key], value, `RC label ${key}`);
    assert.equal(rc.spec?.template?.metadata?.labels?.[key], value, `template label ${key}`);
  }
  for (const [key, value] of Object.entries(rc.spec?.selector ?? {}))
    assert.equal(rc.spec?.template?.metadata?.labels?.[key], value, `selector ${key} matches the template`);
  assert.deepEqual(rc.spec?.selector, { 'k8s-app': 'kube-dns', version: 'v11' });
  assert.equal(rc.spec?.replicas, 1);

  const pod = podSpecOf(rc);
  assert.deepEqual(
    pod.containers.map((c) => c.name),
    ['etcd', 'kube2sky', 'skydns', 'healthz'],
  );
  assert.equal(pod.dnsPolicy, 'Default');
  assert.equal(pod.hostNetwork ?? false, false);
  assert.equal(pod.serviceAccountName, 'kube-dns');
  assert.equal(pod.priorityClassName, 'system-cluster-critical');
  assert.equal(pod.enableServiceLinks, false);
  assert.ok(pod.tolerations?.some((t) => t.key === 'CriticalAddonsOnly' && t.operator === 'Exists'));
  assert.equal(pod.nodeSelector?.['kubernetes.io/os'], 'linux');
  assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
  assert.equal(pod.securityContext?.runAsNonRoot, true);
  assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, 'pod runs as a non-root uid');

  const etcd = container(rc, 'etcd');
  const etcdWords = [...(etcd.command ?? []), ...(etcd.args ?? [])];
  assert.match(
    etcd.image ?? '',
    /^registry\.k8s\.io\/etcd:3\.5\.\d+-0@sha256:[0-9a-f]{64}$/,
    'etcd v3.5, pinned by tag and digest',
  );
  assert.equal(etcdWords[0], '/usr/local/bin/etcd');
  const flag = (name: string): string | undefined => {
    const i = etcdWords.findIndex((w) => w === `-${name}` || w === `--${name}`);
    return i >= 0
      ? etcdWords[i + 1]
      : etcdWords.find((w) => w.startsWith(`-${name}=`) || w.startsWith(`--${name}=`))?.split('=')[1];
  };
  assert.equal(
    flag('listen-client-urls'),
    'http://127.0.0.1:2379,http://127.0.0.1:4001',
    'etcd listens on loopback only, 2379 and the legacy 4001',
  );
  assert.equal(flag('advertise-client-urls'), 'http://127.0.0.1:2379,http://127.0.0.1:4001');
  const dataDir = flag('data-dir');
  const mount = etcd.volumeMounts?.find((m) => m.mountPath === dataDir);
  assert.ok(mount, `etcd's -data-dir ${dataDir} is a mounted volume`);
  assert.ok(pod.volumes?.find((v) => v.name === mount.name)?.emptyDir, 'the etcd data volume is an emptyDir');

  const skydns = container(rc, 'skydns');
  assert.deepEqual(skydns.args, [
    '-machines=http://127.0.0.1:4001',
    '-addr=0.0.0.0:53',
    '-ns-rotate=false',
    '-domain=cluster.local.',
    '-stubzones',
  ]);
  assert.deepEqual(skydns.env, [{ name: 'PROMETHEUS_PORT', value: '9153' }]);
  assert.deepEqual(
    skydns.ports?.map((p) => [p.name, p.containerPort, p.protocol]),
    [
      ['dns', 53, 'UDP'],
      ['dns-tcp', 53, 'TCP'],
      ['metrics', 9153, 'TCP'],
    ],
  );
  assert.deepEqual([skydns.livenessProbe?.httpGet?.path, skydns.livenessProbe?.httpGet?.port], ['/healthz', 9153]);

  const kube2sky = container(rc, 'kube2sky');
  assert.deepEqual(kube2sky.args, ['--domain=cluster.local']);
  const live = kube2sky.livenessProbe;
  assert.deepEqual(
    [
      live?.httpGet?.path,
      live?.httpGet?.port,
      live?.initialDelaySeconds,
      live?.timeoutSeconds,
      live?.successThreshold,
      live?.failureThreshold,
    ],
    ['/healthz', 8080, 60, 5, 1, 5],
    'kube2sky liveness goes through the healthz sidecar, as v11',
  );
  const ready = kube2sky.readinessProbe;
  assert.deepEqual(
    [ready?.httpGet?.path, ready?.httpGet?.port, ready?.initialDelaySeconds, ready?.timeoutSeconds],
    ['/readiness', 8081, 30, 5],
  );

  const healthz = container(rc, 'healthz');
  assert.deepEqual(healthz.args, [
    '-cmd=nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null',
    '-port=8080',
  ]);
  assert.deepEqual(
    healthz.ports?.map((p) => [p.name, p.containerPort, p.protocol]),
    [['healthz', 8080, 'TCP']],
  );
});

test('skydns-rc.yaml: every probe targets a port a container declares, and port names are valid', () => {
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  const declared = new Map<number, string>();
  for (const c of podSpecOf(rc).containers) {
    for (const p of c.ports ?? []) {
      assert.match(p.name ?? '', IANA_SVC_NAME, `port name ${p.name} of ${c.name}`);
      if (p.protocol === 'TCP') declared.set(p.containerPort, c.name);
    }
  }
  for (const c of podSpecOf(rc).containers) {
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      const port = probe?.httpGet?.port;
      if (port === undefined) continue;
      assert.ok(
        typeof port === 'number' && declared.has(port),
        `probe port ${port} of ${c.name} is declared by a container`,
      );
    }
  }
});

test('skydns-rc.yaml: hardened containers (no privilege escalation, read-only root, capabilities dropped)', () => {
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  for (const c of podSpecOf(rc).containers) {
    const sc = c.securityContext;
    assert.equal(sc?.allowPrivilegeEscalation, false, `${c.name} allowPrivilegeEscalation`);
    assert.equal(sc?.readOnlyRootFilesystem, true, `${c.name} readOnlyRootFilesystem`);
    assert.equal(sc?.privileged ?? false, false, `${c.name} not privileged`);
    assert.deepEqual(sc?.capabilities?.drop, ['ALL'], `${c.name} drops all capabilities`);
    assert.deepEqual(
      sc?.capabilities?.add ?? [],
      c.name === 'skydns' ? ['NET_BIND_SERVICE'] : [],
      `${c.name} added capabilities`,
    );
    assert.notEqual(sc?.runAsUser, 0, `${c.name} not root`);
    assert.notEqual(sc?.runAsNonRoot, false, `${c.name} does not override runAsNonRoot`);
  }
});

test('skydns-rc.yaml: every container has requests and limits, requests within limits', () => {
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  const quantity = (text: string | number | undefined, unit: 'cpu' | 'memory'): number => {
    const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(text));
    assert.ok(match, `${unit} quantity ${text}`);
    const scale: Record<string, number> = { m: 0.001, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
    return Number(match[1]) * (match[2] ? (scale[match[2]] ?? Number.NaN) : 1);
  };
  for (const c of podSpecOf(rc).containers) {
    for (const unit of ['cpu', 'memory'] as const) {
      const request = quantity(c.resources?.requests?.[unit], unit);
      const limit = quantity(c.resources?.limits?.[unit], unit);
      assert.ok(request > 0 && request <= limit, `${c.name} ${unit}: request ${request} within limit ${limit}`);
    }
  }
  // A Node.js process needs about 60 MiB resident; the original's 20Mi healthz limit would OOM-kill it.
  assert.ok(quantity(container(rc, 'healthz').resources?.limits?.['memory'], 'memory') >= 64 * 1024 ** 2);
});

test("skydns-rc.yaml: our images are <registry>/kube-dns-legacy-<name>:<version> with the packages' version", () => {
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  const expected: Record<string, string> = { kube2sky: 'kube2sky', skydns: 'skydns', healthz: 'exechealthz' };
  const registries = new Set<string>();
  for (const [name, image] of Object.entries(expected)) {
    const match = OUR_IMAGE.exec(container(rc, name).image ?? '');
    assert.ok(match?.groups, `${name} image ${container(rc, name).image}`);
    assert.equal(match.groups['name'], image);
    assert.equal(match.groups['version'], PACKAGE_VERSION);
    registries.add(match.groups['registry'] ?? '');
    assert.equal(container(rc, name).imagePullPolicy, 'IfNotPresent');
  }
  assert.equal(registries.size, 1, 'one registry for all our images');
});

test('skydns-rc.yaml: the container args parse with our own command lines', () => {
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  const healthz = parseExechealthzArgs(container(rc, 'healthz').args ?? [], {});
  assert.equal(healthz.help, false);
  if (!healthz.help) {
    assert.equal(healthz.config.cmd, 'nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null');
    assert.equal(healthz.config.port, 8080);
    assert.equal(healthz.config.periodMs, 2_000);
    assert.equal(healthz.config.latencyMs, 30_000);
  }
  const kube2sky = parseKube2skyArgs(container(rc, 'kube2sky').args ?? [], {});
  assert.equal(kube2sky.domain, 'cluster.local.');
  assert.equal(kube2sky.healthzPort, 8081, 'kube2sky serves /readiness where the readiness probe looks');
  assert.deepEqual(kube2sky.etcdServers, ['http://127.0.0.1:4001'], "kube2sky's default etcd is the pod's etcd");

  const skydnsContainer = container(rc, 'skydns');
  const env = Object.fromEntries((skydnsContainer.env ?? []).map((e) => [e.name, e.value ?? '']));
  const skydns = parseSkydnsArgs([...(skydnsContainer.args ?? [])], env);
  assert.deepEqual(skydns.addr, { host: '0.0.0.0', port: 53 });
  assert.equal(skydns.domain, 'cluster.local.');
  assert.deepEqual(skydns.machines, ['http://127.0.0.1:4001']);
  assert.equal(skydns.nsRotate, false);
  assert.equal(skydns.stubzones, true, "kube2sky writes the ConfigMap's stubDomains as stub zones; skydns serves them");
  assert.equal(
    skydns.metricsPort,
    9153,
    'PROMETHEUS_PORT turns on /metrics and /healthz where the liveness probe looks',
  );
  assert.equal(kube2sky.domain, skydns.domain, 'kube2sky writes the domain skydns serves');
  if (!healthz.help)
    assert.ok(
      healthz.config.cmd.includes(`kubernetes.default.svc.${skydns.domain.replace(/\.$/, '')} 127.0.0.1`),
      'the healthz probe asks skydns for a name in its domain',
    );
});

test('skydns-svc.yaml: the kube-dns Service on the static cluster IP', () => {
  const svc = only(load('skydns-svc.yaml'), Service);
  assert.equal(svc.metadata?.name, 'kube-dns');
  assert.equal(svc.metadata?.namespace, 'kube-system');
  assert.equal(svc.metadata?.labels?.['kubernetes.io/name'], 'KubeDNS');
  assert.equal(svc.metadata?.labels?.['kubernetes.io/cluster-service'], 'true');
  assert.equal(svc.spec?.clusterIP, '10.0.0.10');
  assert.deepEqual(svc.spec?.selector, { 'k8s-app': 'kube-dns' });
  assert.deepEqual(
    svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort, p.protocol]),
    [
      ['dns', 53, 53, 'UDP'],
      ['dns-tcp', 53, 53, 'TCP'],
    ],
  );
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  for (const [key, value] of Object.entries(svc.spec?.selector ?? {}))
    assert.equal(rc.spec?.template?.metadata?.labels?.[key], value, 'the Service selects the DNS pods');
});

test('rbac.yaml: kube2sky may only get/list/watch exactly what it reads', () => {
  const docs = load('rbac.yaml');
  const sa = only(docs, ServiceAccount);
  const role = only(docs, ClusterRole);
  const binding = only(docs, ClusterRoleBinding);
  assert.deepEqual([sa.metadata?.name, sa.metadata?.namespace], ['kube-dns', 'kube-system']);
  const granted = new Set<string>();
  for (const rule of role.rules ?? []) {
    assert.deepEqual([...(rule.verbs ?? [])].sort(), ['get', 'list', 'watch'], 'read-only verbs');
    assert.equal(rule.resourceNames, undefined);
    assert.equal(rule.nonResourceURLs, undefined);
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? []) granted.add(`${group}/${resource}`);
  }
  assert.deepEqual([...granted].sort(), [
    '/endpoints',
    '/namespaces',
    '/pods',
    '/services',
    'discovery.k8s.io/endpointslices',
  ]);
  assert.deepEqual(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
    name: role.metadata?.name,
  });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }]);
  const rc = only(load('skydns-rc.yaml'), ReplicationController);
  assert.equal(podSpecOf(rc).serviceAccountName, sa.metadata?.name);
  // The kube-dns ConfigMap: get, list and watch that one ConfigMap in kube-system only.
  const isConfigRbac = (d: Validated): boolean =>
    (d instanceof Role || d instanceof RoleBinding) && d.metadata?.name === 'kube-dns-legacy-config';
  const config = only(docs.filter(isConfigRbac), Role);
  assert.equal(config.metadata?.namespace, 'kube-system');
  assert.deepEqual(
    config.rules?.map((r) => [r.apiGroups, r.resources, r.resourceNames, [...(r.verbs ?? [])].sort()]),
    [[[''], ['configmaps'], ['kube-dns'], ['get', 'list', 'watch']]],
  );
  const configBinding = only(docs.filter(isConfigRbac), RoleBinding);
  assert.deepEqual(configBinding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: 'kube-dns-legacy-config',
  });
  assert.deepEqual(configBinding.subjects, [{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }]);
  // --leader-elect: create Leases in kube-system, get and update only kube2sky's.
  const others = docs.filter((d) => !isConfigRbac(d));
  const lease = only(others, Role);
  assert.equal(lease.metadata?.namespace, 'kube-system');
  assert.deepEqual(
    lease.rules?.map((r) => [r.apiGroups, r.resources, r.resourceNames, [...(r.verbs ?? [])].sort()]),
    [
      [['coordination.k8s.io'], ['leases'], undefined, ['create']],
      [['coordination.k8s.io'], ['leases'], ['kube2sky'], ['get', 'update']],
    ],
  );
  const leaseBinding = only(others, RoleBinding);
  assert.deepEqual(leaseBinding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: lease.metadata?.name,
  });
  assert.deepEqual(leaseBinding.subjects, [{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }]);
});

test('examples/shared-etcd.yaml: N pods of kube2sky + skydns on an external etcd, kube2sky electing one writer', () => {
  const deployment = only(load('examples/shared-etcd.yaml'), Deployment);
  const spec = deployment.spec?.template?.spec;
  assert.ok(spec);
  assert.deepEqual(
    spec.containers.map((c) => c.name),
    ['kube2sky', 'skydns', 'healthz'],
  );
  assert.equal(spec.serviceAccountName, 'kube-dns');
  const args = (name: string): string[] => spec.containers.find((c) => c.name === name)?.args ?? [];
  const kube2sky = parseKube2skyArgs(args('kube2sky'), {});
  assert.equal(kube2sky.etcdServers.length, 3);
  assert.deepEqual(kube2sky.leaderElection && [kube2sky.leaderElection.namespace, kube2sky.leaderElection.name], [
    'kube-system',
    'kube2sky',
  ]);
  const skydns = parseSkydnsArgs(args('skydns'), {});
  assert.equal(skydns.machines.length, 3);
  assert.equal(skydns.stubzones, true, "the ConfigMap's stubDomains are served");
  assert.ok(
    deployment.spec?.template?.metadata?.labels?.['k8s-app'] === 'kube-dns',
    'the kube-dns Service selects these pods',
  );
});

test("busybox.yaml: a busybox 1.28 pod with the cluster's DNS policy", () => {
  const pod = only(load('busybox.yaml'), Pod);
  assert.equal(pod.metadata?.name, 'busybox');
  assert.equal(pod.spec?.dnsPolicy, 'ClusterFirst');
  const [box] = pod.spec?.containers ?? [];
  assert.equal(box?.image, 'busybox:1.28', 'busybox ≥1.29 nslookup ignores the search path');
  assert.deepEqual(box?.command, ['sleep', '3600']);
});
