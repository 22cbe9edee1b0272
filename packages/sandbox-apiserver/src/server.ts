import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston, { type Logger } from 'winston';
import { IPv4Allocator } from './cidr.js';
import { Faults } from './faults.js';
import { handle } from './http.js';
import type { ApiContext } from './http.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { Registry } from './registry.js';
import { ENDPOINT_SLICES, ENDPOINTS, NAMESPACES, SERVICES } from './resources.js';
import { ServiceAddresses } from './service-ips.js';
import { ObjectStore } from './store.js';

/** Options of {@link SandboxApiServer.start}. */
export interface SandboxOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** IPv4 range ClusterIPs are allocated from (default 10.0.0.0/24); `default/kubernetes` gets the first address. */
  serviceCidr?: string;
  /** Serve discovery.k8s.io/v1 endpointslices (default true). */
  endpointSlices?: boolean;
  /** Where to write the kubeconfig (default: a file in a new temporary directory, removed by stop()). */
  kubeconfigPath?: string;
  /** How many changes are kept for watches to resume from (default 1000); older versions answer 410. */
  historyLimit?: number;
  /** Milliseconds between BOOKMARK events on watches that allow them (default 60000). */
  bookmarkIntervalMs?: number;
  /** Logger for requests (debug) and failures; default silent. */
  logger?: Logger;
}

const TOKEN = 'sandbox-token';

function seed(registry: Registry, firstIp: string, endpointSlices: boolean): void {
  for (const name of ['default', 'kube-system', 'kube-public']) registry.create(NAMESPACES, '', { metadata: { name } });
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  registry.create(SERVICES, 'default', {
    metadata: { name: 'kubernetes', labels },
    spec: { type: 'ClusterIP', clusterIP: firstIp, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  });
  registry.create(ENDPOINTS, 'default', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
  });
  if (endpointSlices) {
    registry.create(ENDPOINT_SLICES, 'default', {
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
  }
}

/** A small Kubernetes API server on loopback speaking the real list/watch protocol; the project's only stand-in. */
export class SandboxApiServer {
  /** Switches that make the server drop watches, answer 410 or fail every request. */
  readonly faults: Faults;

  private constructor(
    private readonly server: Server,
    private readonly store: ObjectStore,
    private readonly watches: Set<() => void>,
    faults: Faults,
    /** The base URL, such as http://127.0.0.1:PORT. */
    readonly url: string,
    /** The kubeconfig file for kubectl and client libraries (cluster, user, context and current-context set). */
    readonly kubeconfigPath: string,
    private readonly tempDir: string | undefined,
  ) {
    this.faults = faults;
  }

  /** Start listening, seed the namespaces and the `default/kubernetes` service, write the kubeconfig. */
  static async start(options: SandboxOptions = {}): Promise<SandboxApiServer> {
    const logger = options.logger ?? winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
    const endpointSlices = options.endpointSlices ?? true;
    const ips = new IPv4Allocator(options.serviceCidr ?? '10.0.0.0/24');
    const store = new ObjectStore(options.historyLimit ?? 1000);
    const registry = new Registry(store, new ServiceAddresses(ips));
    seed(registry, ips.first, endpointSlices);
    const faults = new Faults();
    const watches = new Set<() => void>();
    const host = options.host ?? '127.0.0.1';
    let address = '';
    const ctx: ApiContext = {
      store,
      faults,
      registry,
      endpointSlices,
      logger,
      address: () => address,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      onOpen: (close) => {
        watches.add(close);
        const untrack = faults.track(close);
        return () => {
          watches.delete(close);
          untrack();
        };
      },
    };
    const server = createServer((req, res) => void handle(req, res, ctx));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    address = `${host}:${port}`;
    const url = `http://${address}`;
    let tempDir: string | undefined;
    let kubeconfigPath = options.kubeconfigPath;
    if (!kubeconfigPath) {
      tempDir = mkdtempSync(join(tmpdir(), 'sandbox-apiserver-'));
      kubeconfigPath = join(tempDir, 'kubeconfig');
    }
    writeFileSync(kubeconfigPath, kubeconfigYaml(url, TOKEN), { mode: 0o600 });
    const api = new SandboxApiServer(server, store, watches, faults, url, kubeconfigPath, tempDir);
    logger.info('sandbox API server listening', { url, kubeconfig: kubeconfigPath, serviceCidr: ips.cidr, endpointSlices });
    return api;
  }

  /** The newest resourceVersion (one global counter, like etcd's revision). */
  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  /** Forget the change history: watches from any earlier resourceVersion get an ERROR event with 410 Expired. */
  compact(): void {
    this.store.compact();
  }

  /** Close the open watches and the listener; remove the temporary kubeconfig directory. */
  async stop(): Promise<void> {
    for (const close of [...this.watches]) close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
