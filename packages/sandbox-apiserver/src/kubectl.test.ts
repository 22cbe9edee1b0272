import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ManagedProcess, requireTool } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

const run = promisify(execFile);

const SERVICE_YAML = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: metrics
    port: 9090
`;

const ENDPOINTS_YAML = `apiVersion: v1
kind: Endpoints
metadata:
  name: web
  namespace: default
subsets:
- addresses:
  - ip: 10.1.0.5
    hostname: web-0
  ports:
  - name: http
    port: 8080
`;

describe('with the real kubectl', () => {
  let api: SandboxApiServer;
  let dir: string;
  let kubectlPath: string;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(
      kubectlPath,
      ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
      { timeout: 30_000 },
    );
    return stdout;
  };
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    kubectlPath = requireTool('kubectl');
    dir = mkdtempSync(join(tmpdir(), 'sandbox-kubectl-'));
    api = await SandboxApiServer.start();
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a Service and Endpoints from YAML (with client-side validation on) and lists them', async () => {
    assert.match(await kubectl('create', '-f', file('svc.yaml', SERVICE_YAML)), /service\/web created/);
    assert.match(await kubectl('create', '-f', file('ep.yaml', ENDPOINTS_YAML)), /endpoints\/web created/);
    const table = await kubectl('get', 'svc', '-A');
    assert.match(table, /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
    assert.match(table, /default\s+kubernetes\s+ClusterIP\s+10\.0\.0\.1\s+<none>\s+443\/TCP/);
    assert.match(table, /default\s+web\s+ClusterIP\s+10\.0\.0\.2\s+<none>\s+80\/TCP,9090\/TCP/);
    assert.match(await kubectl('get', 'ep', 'web'), /web\s+10\.1\.0\.5:8080/);
    await assert.rejects(kubectl('create', '-f', file('svc-again.yaml', SERVICE_YAML)), /AlreadyExists|already exists/);
  });

  it('prints one service as JSON with the allocated ClusterIP and defaults', async () => {
    const svc = JSON.parse(await kubectl('get', 'svc', 'web', '-o', 'json')) as {
      kind: string;
      spec: { clusterIP: string; ports: { protocol: string; targetPort: number }[]; type: string };
    };
    assert.equal(svc.kind, 'Service');
    assert.equal(svc.spec.clusterIP, '10.0.0.2');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.protocol, p.targetPort]),
      [
        ['TCP', 8080],
        ['TCP', 9090],
      ],
    );
  });

  it('labels and annotates', async () => {
    await kubectl('label', 'svc', 'web', 'tier=front');
    await kubectl('annotate', 'svc', 'web', 'note=hello');
    const meta = JSON.parse(await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.metadata}')) as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
    };
    assert.deepEqual(meta.labels, { app: 'web', tier: 'front' });
    assert.equal(meta.annotations['note'], 'hello');
    await kubectl('label', 'svc', 'web', 'tier-');
    const labels = JSON.parse(await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.metadata.labels}')) as Record<
      string,
      string
    >;
    assert.deepEqual(labels, { app: 'web' });
    assert.match(await kubectl('get', 'svc', '-l', 'app=web', '-o', 'name'), /^service\/web\n$/);
  });

  it('deletes by file and by name', async () => {
    assert.match(await kubectl('delete', '-f', join(dir, 'svc.yaml')), /service "web" deleted/);
    assert.match(await kubectl('delete', 'endpoints', 'web'), /endpoints "web" deleted/);
    await assert.rejects(kubectl('get', 'svc', 'web'), /NotFound|not found/);
  });

  it('applies: creates, then changes a port through a strategic merge patch, then leaves an unchanged object alone', async () => {
    const path = file('apply.yaml', SERVICE_YAML);
    assert.match(await kubectl('apply', '-f', path), /service\/web created/);
    const before = JSON.parse(await kubectl('get', 'svc', 'web', '-o', 'json')) as {
      metadata: { resourceVersion: string };
      spec: { clusterIP: string };
    };
    assert.match(
      await kubectl('apply', '-f', file('apply.yaml', SERVICE_YAML.replace('9090', '9091'))),
      /service\/web configured/,
    );
    const after = JSON.parse(await kubectl('get', 'svc', 'web', '-o', 'json')) as {
      metadata: { resourceVersion: string };
      spec: { clusterIP: string; ports: { port: number }[] };
    };
    assert.deepEqual(
      after.spec.ports.map((p) => p.port),
      [80, 9091],
    );
    assert.equal(after.spec.clusterIP, before.spec.clusterIP);
    assert.match(await kubectl('apply', '-f', path), /service\/web unchanged/);
  });

  it('creates a namespace and a pod, and shows the pod', async () => {
    await kubectl('create', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n'));
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: box\nspec:\n  containers:\n  - name: box\n    image: busybox:1.36\n';
    await kubectl('create', '-n', 'apps', '-f', file('pod.yaml', pod));
    assert.match(
      await kubectl('run', 'other', '-n', 'apps', '--image=busybox:1.36', '--restart=Never'),
      /pod\/other created/,
    );
    assert.match(await kubectl('get', 'pods', '-n', 'apps'), /box\s+0\/1\s+Pending[\s\S]*other\s+0\/1\s+Pending/);
    await kubectl('delete', 'namespace', 'apps');
    await assert.rejects(kubectl('get', 'pod', 'box', '-n', 'apps'), /not found/);
  });

  it('watches with get -w, printing a row per change', async () => {
    const watcher = new ManagedProcess('kubectl get -w', kubectlPath, [
      '--kubeconfig',
      api.kubeconfigPath,
      '--cache-dir',
      join(dir, 'cache'),
      'get',
      'svc',
      '-w',
      '-A',
    ]);
    try {
      await watcher.waitForOutput(/default\s+kubernetes\s+ClusterIP/);
      await kubectl('create', '-f', file('watched.yaml', SERVICE_YAML.replace('name: web', 'name: watched')));
      await watcher.waitForOutput(/default\s+watched\s+ClusterIP\s+10\.0\.0\.\d+\s+<none>\s+80\/TCP,9090\/TCP/);
      assert.equal(watcher.output.match(/CLUSTER-IP/g)?.length, 1, 'one header line');
    } finally {
      await watcher.stop();
    }
  });

  it('creates with kubectl create namespace and kubectl create service (protobuf bodies from kubectl 1.32)', async () => {
    assert.match(await kubectl('create', 'namespace', 'proto'), /namespace\/proto created/);
    assert.match(
      await kubectl('create', 'service', 'clusterip', 'pb', '-n', 'proto', '--tcp=80:8080', '--tcp=53:53'),
      /service\/pb created/,
    );
    assert.match(
      await kubectl('create', 'service', 'clusterip', 'pb-headless', '-n', 'proto', '--clusterip=None'),
      /created/,
    );
    const svc = JSON.parse(await kubectl('get', 'svc', 'pb', '-n', 'proto', '-o', 'json')) as {
      metadata: { labels: Record<string, string> };
      spec: {
        clusterIP: string;
        selector: Record<string, string>;
        ports: { name: string; port: number; targetPort: number; protocol: string }[];
      };
    };
    assert.match(svc.spec.clusterIP, /^10\.0\.0\.\d+$/);
    assert.deepEqual(svc.spec.selector, { app: 'pb' });
    assert.deepEqual(svc.metadata.labels, { app: 'pb' });
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.name, p.port, p.targetPort, p.protocol]),
      [
        ['80-8080', 80, 8080, 'TCP'],
        ['53-53', 53, 53, 'TCP'],
      ],
    );
    assert.equal(
      JSON.parse(await kubectl('get', 'svc', 'pb-headless', '-n', 'proto', '-o', 'jsonpath={.spec}'))['clusterIP'],
      'None',
    );
  });

  it('honours server-side dry runs (apply --dry-run=server, diff, delete --dry-run=server) without storing or allocating', async () => {
    const yaml = SERVICE_YAML.replace('name: web', 'name: dry');
    assert.match(
      await kubectl('apply', '-f', file('dry.yaml', yaml), '--dry-run=server'),
      /service\/dry created \(server dry run\)/,
    );
    await assert.rejects(kubectl('get', 'svc', 'dry'), /not found/);
    await kubectl('apply', '-f', file('dry.yaml', yaml));
    const ip = await kubectl('get', 'svc', 'dry', '-o', 'jsonpath={.spec.clusterIP}');
    await assert.rejects(
      kubectl('diff', '-f', file('dry2.yaml', yaml.replace('9090', '9191'))),
      (err: { code?: number; stdout?: string }) => {
        assert.equal(err.code, 1, 'kubectl diff exits 1 when there are differences');
        assert.match(err.stdout ?? '', /-\s+port: 9090[\s\S]*\+\s+port: 9191/);
        return true;
      },
    );
    assert.match(
      await kubectl('delete', 'svc', 'dry', '--dry-run=server'),
      /deleted( from default namespace)? \(server dry run\)/,
    );
    assert.equal(await kubectl('get', 'svc', 'dry', '-o', 'jsonpath={.spec.clusterIP}'), ip);
    const next = JSON.parse(
      await kubectl(
        'create',
        '-f',
        file('dry3.yaml', yaml.replace('name: dry', 'name: dry3')),
        '--dry-run=server',
        '-o',
        'json',
      ),
    ) as { spec: { clusterIP: string } };
    const real = JSON.parse(await kubectl('create', '-f', join(dir, 'dry3.yaml'), '-o', 'json')) as {
      spec: { clusterIP: string };
    };
    assert.equal(real.spec.clusterIP, next.spec.clusterIP, 'a dry run gives the address back');
  });
});
