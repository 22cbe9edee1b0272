import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdServer, ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { goBinDir } from './binaries.js';
import { makePki, type Pki } from './pki.js';

const run = promisify(execFile);

/** The controllers kube-controller-manager runs: what a cluster needs for Services, EndpointSlices and ServiceAccounts. */
export const CONTROLLERS = [
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'namespace-controller',
  'garbage-collector-controller',
] as const;

/** How to start a control plane. */
export interface ControlPlaneOptions {
  /** Where kube-apiserver, kube-controller-manager and kubectl are (default: built or found by scripts/conformance/build-go.sh). */
  readonly binDir?: string;
  /** Where certificates, kubeconfigs and the token file go (default: a new temporary directory, removed by stop()). */
  readonly stateDir?: string;
  /** `--service-cluster-ip-range` (default: dual-stack, IPv4 first). */
  readonly serviceCidr?: string;
  /** The cluster domain the serving certificate names (default cluster.local). */
  readonly domain?: string;
  /** kube-apiserver's secure port (default: a free one). */
  readonly apiPort?: number;
  /** Extra kube-apiserver flags (e.g. `--watch-cache=false`). */
  readonly apiServerArgs?: readonly string[];
}

/** What a client running "in the cluster" needs: the files of /var/run/secrets/kubernetes.io/serviceaccount and the env. */
export interface ServiceAccountFiles {
  /** The directory with `token`, `ca.crt` and `namespace`. */
  readonly dir: string;
  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, ServiceAccount token
 * signing, a dual-stack service range, https with its own CA) and kube-controller-manager with the
 * controllers in CONTROLLERS. kubectl talks to it as `system:masters` through `kubeconfig`.
 */
export class ControlPlane {
  private apiServer: ManagedProcess | undefined;
  private controllerManager: ManagedProcess | undefined;

  private constructor(
    readonly binDir: string,
    readonly stateDir: string,
    private readonly ownsStateDir: boolean,
    readonly etcd: EtcdServer,
    readonly pki: Pki,
    readonly apiPort: number,
    readonly serviceCidr: string,
    /** The bearer token of the admin user (system:masters), as in `kubeconfig`. */
    readonly adminToken: string,
    private readonly extraApiArgs: readonly string[],
  ) {}

  /** Start etcd, kube-apiserver and kube-controller-manager and wait until the API is ready and the controllers work. */
  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const binDir = options.binDir ?? (await goBinDir('kube'));
    const ownsStateDir = options.stateDir === undefined;
    const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'kdl-control-plane-')));
    await mkdir(stateDir, { recursive: true });
    const serviceCidr = options.serviceCidr ?? '10.0.0.0/24,fd00:10::/108';
    const pki = makePki(stateDir, serviceCidr.split(',').map(firstAddress), options.domain ?? 'cluster.local');
    const adminToken = randomBytes(24).toString('hex');
    await writeFile(
      join(stateDir, 'tokens.csv'),
      `${adminToken},kube-dns-legacy-admin,kube-dns-legacy-admin,system:masters\n`,
      { mode: 0o600 },
    );
    const etcd = await EtcdServer.start();
    const plane = new ControlPlane(
      binDir,
      stateDir,
      ownsStateDir,
      etcd,
      pki,
      options.apiPort ?? (await freePort()),
      serviceCidr,
      adminToken,
      options.apiServerArgs ?? [],
    );
    try {
      await writeFile(plane.kubeconfig, plane.kubeconfigYaml({ token: adminToken }), { mode: 0o600 });
      await plane.startApiServer();
      await plane.startControllerManager();
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  /** The API server's URL. */
  get url(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  /** The admin kubeconfig (system:masters, bearer token). */
  get kubeconfig(): string {
    return join(this.stateDir, 'admin.kubeconfig');
  }

  /** The running kube-apiserver process (for its pid and output). */
  get apiServerProcess(): ManagedProcess | undefined {
    return this.apiServer;
  }

  /** kube-apiserver's output so far (for failure messages). */
  get apiServerOutput(): string {
    return this.apiServer?.output ?? '';
  }

  /** kube-controller-manager's output so far. */
  get controllerManagerOutput(): string {
    return this.controllerManager?.output ?? '';
  }

  /** A kubeconfig (YAML) for this API server that authenticates with `token`. */
  kubeconfigYaml(user: { token: string }, namespace = 'default'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kube-dns-legacy',
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority: ${this.pki.caCert}`,
      'users:',
      '- name: user',
      '  user:',
      `    token: ${user.token}`,
      'contexts:',
      '- name: kube-dns-legacy',
      '  context:',
      '    cluster: kube-dns-legacy',
      '    user: user',
      `    namespace: ${namespace}`,
      'current-context: kube-dns-legacy',
      '',
    ].join('\n');
  }

  /** Run this release's kubectl as admin; resolves with stdout, rejects with stderr in the message. */
  async kubectl(args: readonly string[], input?: string): Promise<string> {
    const child = run(join(this.binDir, 'kubectl'), ['--kubeconfig', this.kubeconfig, ...args], {
      maxBuffer: 256 * 1024 * 1024,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    try {
      return (await child).stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `kubectl ${args.join(' ')}: ${[e.stderr?.trim() || e.message, e.stdout?.trim()].filter(Boolean).join('\n')}`,
      );
    }
  }

  /** `kubectl apply -f -` of `objects` (as JSON), as admin. */
  async apply(...objects: readonly object[]): Promise<string> {
    return this.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  }

  /** A token for ServiceAccount `namespace/name`, issued by the API server (`kubectl create token`), optionally bound to a Secret (deleting it revokes the token). */
  async serviceAccountToken(namespace: string, name: string, duration = '1h', boundSecret?: string): Promise<string> {
    const bound = boundSecret === undefined ? [] : ['--bound-object-kind=Secret', `--bound-object-name=${boundSecret}`];
    return (await this.kubectl(['create', 'token', name, '-n', namespace, `--duration=${duration}`, ...bound])).trim();
  }

  /** Write (or rewrite, for rotation) the in-cluster service account files for `token` into `dir`. */
  async writeServiceAccount(dir: string, token: string, namespace = 'kube-system'): Promise<ServiceAccountFiles> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'token.tmp'), token);
    await rename(join(dir, 'token.tmp'), join(dir, 'token'));
    await writeFile(join(dir, 'ca.crt'), await readFile(this.pki.caCert));
    await writeFile(join(dir, 'namespace'), namespace);
    return { dir, env: this.inClusterEnv };
  }

  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT of a pod in this cluster (the API server on loopback). */
  get inClusterEnv(): Readonly<Record<string, string>> {
    return { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(this.apiPort) };
  }

  /** GET `path` on the API server as admin; resolves with the status and body. */
  async get(path: string): Promise<{ status: number; body: string }> {
    const ca = await readFile(this.pki.caCert);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.url}${path}`,
        { ca, headers: { authorization: `Bearer ${this.adminToken}` }, timeout: 5_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Stop kube-apiserver (SIGTERM, or SIGKILL as a crash) and start it again on the same port and etcd; waits until ready. */
  async restartApiServer(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.apiServer?.stop(signal, 20_000);
    await this.startApiServer();
  }

  /** Stop everything (controller manager, API server, etcd) and remove the state directory if this plane made it. */
  async stop(): Promise<void> {
    await this.controllerManager?.stop('SIGTERM', 10_000);
    await this.apiServer?.stop('SIGTERM', 20_000);
    await this.etcd.stop();
    if (this.ownsStateDir) await rm(this.stateDir, { recursive: true, force: true });
  }

  private async startApiServer(): Promise<void> {
    const issuer = 'https://kubernetes.default.svc';
    const proc = new ManagedProcess('kube-apiserver', join(this.binDir, 'kube-apiserver'), [
      `--etcd-servers=${this.etcd.endpoint}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The reconciler would publish the advertise address in default/kubernetes's Endpoints, and
      // Endpoints may not hold loopback addresses: the Service stays, without endpoints.
      '--endpoint-reconciler-type=none',
      `--secure-port=${this.apiPort}`,
      `--cert-dir=${join(this.stateDir, 'apiserver-certs')}`,
      `--tls-cert-file=${this.pki.servingCert}`,
      `--tls-private-key-file=${this.pki.servingKey}`,
      `--client-ca-file=${this.pki.caCert}`,
      `--token-auth-file=${join(this.stateDir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-cluster-ip-range=${this.serviceCidr}`,
      `--service-account-issuer=${issuer}`,
      `--service-account-key-file=${this.pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${this.pki.serviceAccountKey}`,
      '--allow-privileged=true',
      '--profiling=false',
      ...this.extraApiArgs,
    ]);
    this.apiServer = proc;
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        if (!proc.alive) throw new Error(`kube-apiserver exited:\n${proc.output.slice(-8_000)}`);
        return (await this.get('/readyz').catch(() => ({ status: 0 }))).status === 200;
      },
      120_000,
      250,
    );
  }

  private async startControllerManager(): Promise<void> {
    const port = await freePort();
    const proc = new ManagedProcess('kube-controller-manager', join(this.binDir, 'kube-controller-manager'), [
      `--kubeconfig=${this.kubeconfig}`,
      `--authentication-kubeconfig=${this.kubeconfig}`,
      `--authorization-kubeconfig=${this.kubeconfig}`,
      `--controllers=${CONTROLLERS.join(',')}`,
      `--service-account-private-key-file=${this.pki.serviceAccountKey}`,
      `--root-ca-file=${this.pki.caCert}`,
      '--use-service-account-credentials=false',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(this.stateDir, 'kcm-certs')}`,
      '--profiling=false',
    ]);
    this.controllerManager = proc;
    // The serviceaccount controller makes `default` in every namespace; pods cannot be created before it.
    await waitFor(
      'kube-controller-manager to create the default ServiceAccount',
      async () => {
        if (!proc.alive) throw new Error(`kube-controller-manager exited:\n${proc.output.slice(-8_000)}`);
        return (await this.get('/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
      },
      120_000,
      250,
    );
  }
}

/** The first host address of a CIDR (what the API server gives `default/kubernetes`); IPv6 ranges end in `::`. */
function firstAddress(cidr: string): string {
  const base = cidr.split('/')[0] ?? '';
  if (base.includes(':')) return `${base}1`;
  const octets = base.split('.').map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join('.');
}
