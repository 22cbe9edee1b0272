import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston, { type Logger } from 'winston';
import { serviceRanges } from './cidr.js';
import { Faults } from './faults.js';
import { handle } from './http.js';
import type { ApiContext } from './http.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { EndpointSliceMirroring } from './mirroring.js';
import { ApiMetrics } from './metrics.js';
import { Registry } from './registry.js';
import { ENDPOINT_SLICES, ENDPOINTS, NAMESPACES, SERVICES } from './resources.js';
import { ServiceAddresses } from './service-ips.js';
import { ObjectStore } from './store.js';
import { makeCertificates } from './tls.js';

/** Options of {@link SandboxApiServer.start}. */
export interface SandboxOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * Range ClusterIPs are allocated from (default 10.0.0.0/24), or an IPv4 and an IPv6 range separated by a comma
   * for a dual-stack server (the first is the primary family); `default/kubernetes` gets the first address of the first.
   */
  serviceCidr?: string;
  /** Serve discovery.k8s.io/v1 endpointslices (default true). */
  endpointSlices?: boolean;
  /** Where to write the kubeconfig (default: a file in a new temporary directory, removed by stop()). */
  kubeconfigPath?: string;
  /** Serve https with a throw-away CA made by the openssl tool (default false: plain http). */
  tls?: boolean;
  /** Bearer tokens accepted; when given, API requests without one answer 401 (default: no authentication). */
  tokens?: readonly string[];
  /** How many changes are kept for watches to resume from (default 1000); older versions answer 410. */
  historyLimit?: number;
  /** Milliseconds between BOOKMARK events on watches that allow them (default 60000). */
  bookmarkIntervalMs?: number;
  /** Logger for requests (debug) and failures; default silent. */
  logger?: Logger;
}

/** Files and environment of an in-cluster service account pointing at the sandbox. */
export interface ServiceAccountFiles {
  /** The prefix to hand to client-node's `loadFromCluster(pathPrefix)`. */
  readonly pathPrefix: string;
  /** `<pathPrefix>/var/run/secrets/kubernetes.io/serviceaccount`, holding `token`, `ca.crt`, `namespace`. */
  readonly dir: string;
  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT for the sandbox. */
  readonly env: { readonly KUBERNETES_SERVICE_HOST: string; readonly KUBERNETES_SERVICE_PORT: string };
}

/** The token the kubeconfig carries when no tokens are required. */
const DEFAULT_TOKEN = 'sandbox-token';

function seed(registry: Registry, firstIp: string, endpointSlices: boolean): void {
  for (const name of ['default', 'kube-system', 'kube-public']) registry.create(NAMESPACES, '', { metadata: { name } });
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  registry.create(SERVICES, 'default', {
    metadata: { name: 'kubernetes', labels },
    spec: {
      type: 'ClusterIP',
      clusterIP: firstIp,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
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
  private constructor(
    private readonly server: Server,
    private readonly store: ObjectStore,
    private readonly watches: Set<() => void>,
    private readonly auth: { tokens: ReadonlySet<string> | undefined },
    private readonly tempDir: string | undefined,
    private readonly stopControllers: () => void,
    /** Switches that make the server drop watches, answer 410 or fail every request. */
    readonly faults: Faults,
    /** The base URL, such as http://127.0.0.1:PORT (https when started with tls). */
    readonly url: string,
    /** The kubeconfig file for kubectl and client libraries (cluster, user, context and current-context set). */
    readonly kubeconfigPath: string,
    /** The CA certificate (PEM file) clients must trust, when started with tls. */
    readonly caPath: string | undefined,
  ) {}

  /** Start listening, seed the namespaces and the `default/kubernetes` service, write the kubeconfig. */
  static async start(options: SandboxOptions = {}): Promise<SandboxApiServer> {
    const logger =
      options.logger ?? winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
    const endpointSlices = options.endpointSlices ?? true;
    const ranges = serviceRanges(options.serviceCidr ?? '10.0.0.0/24');
    const store = new ObjectStore(options.historyLimit ?? 1000);
    const registry = new Registry(store, new ServiceAddresses(ranges));
    seed(registry, ranges[0]?.first ?? '', endpointSlices);
    // The one controller of the sandbox, as kube-controller-manager's endpointslice-mirroring (only when slices are served).
    const mirroring = endpointSlices ? new EndpointSliceMirroring(store, registry, logger) : undefined;
    const faults = new Faults();
    const watches = new Set<() => void>();
    const auth = { tokens: options.tokens ? new Set(options.tokens) : undefined };
    const host = options.host ?? '127.0.0.1';
    // Only when something needs it (certificates, the default kubeconfig): a killed process leaves nothing behind otherwise.
    const tempDir =
      options.tls || !options.kubeconfigPath ? mkdtempSync(join(tmpdir(), 'sandbox-apiserver-')) : undefined;
    let address = '';
    const ctx: ApiContext = {
      store,
      faults,
      registry,
      endpointSlices,
      logger,
      address: () => address,
      tokens: () => auth.tokens,
      metrics: new ApiMetrics(store, () => watches.size),
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
    let server: Server;
    let caPath: string | undefined;
    try {
      const listener = (req: Parameters<typeof handle>[0], res: Parameters<typeof handle>[1]): void => {
        handle(req, res, ctx).catch((err: unknown) => {
          // handle() answers every failure itself; this only catches a failure to answer (a vanished socket).
          logger.warn('could not answer a request', {
            method: req.method,
            url: req.url,
            error: (err as Error).message,
          });
          res.destroy();
        });
      };
      if (options.tls) {
        const tls = makeCertificates(tempDir ?? '', host);
        caPath = tls.caPath;
        server = createHttpsServer({ cert: tls.cert, key: tls.key }, listener);
      } else server = createHttpServer(listener);
      server.keepAliveTimeout = 30_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => resolve());
      });
    } catch (err) {
      mirroring?.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
    const port = (server.address() as AddressInfo).port;
    address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const url = `${options.tls ? 'https' : 'http'}://${address}`;
    const kubeconfigPath = options.kubeconfigPath ?? join(tempDir ?? '', 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(url, options.tokens?.[0] ?? DEFAULT_TOKEN, caPath), { mode: 0o600 });
    logger.info('sandbox API server listening', {
      url,
      kubeconfig: kubeconfigPath,
      serviceCidr: ranges.map((r) => r.cidr).join(','),
      endpointSlices,
      tls: Boolean(options.tls),
      tokens: auth.tokens ? auth.tokens.size : 'not required',
    });
    return new SandboxApiServer(
      server,
      store,
      watches,
      auth,
      tempDir,
      () => mirroring?.stop(),
      faults,
      url,
      kubeconfigPath,
      caPath,
    );
  }

  /** The newest resourceVersion (one global counter, like etcd's revision). */
  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  /** Replace the accepted bearer tokens (a token rotation); undefined turns authentication off. */
  setTokens(tokens: readonly string[] | undefined): void {
    this.auth.tokens = tokens ? new Set(tokens) : undefined;
  }

  /**
   * Write an in-cluster service account under `pathPrefix` (token, CA bundle, namespace) as a pod would
   * see it at /var/run/secrets/kubernetes.io/serviceaccount; needs `tls`. The token defaults to the
   * first accepted one; write the file again (and call setTokens) to rotate it.
   */
  writeServiceAccount(
    pathPrefix: string,
    token = [...(this.auth.tokens ?? [])][0] ?? DEFAULT_TOKEN,
    namespace = 'kube-system',
  ): ServiceAccountFiles {
    if (!this.caPath)
      throw new Error(
        'writeServiceAccount needs a sandbox started with { tls: true }: in-cluster clients always use https',
      );
    const dir = join(pathPrefix, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), token);
    copyFileSync(this.caPath, join(dir, 'ca.crt'));
    writeFileSync(join(dir, 'namespace'), namespace);
    const url = new URL(this.url);
    return {
      pathPrefix,
      dir,
      env: { KUBERNETES_SERVICE_HOST: url.hostname.replace(/^\[|\]$/g, ''), KUBERNETES_SERVICE_PORT: url.port },
    };
  }

  /** Forget the change history: watches from any earlier resourceVersion get an ERROR event with 410 Expired. */
  compact(): void {
    this.store.compact();
  }

  /** Stop the mirroring controller, close the open watches and the listener; remove the temporary directory (certificates, default kubeconfig). */
  async stop(): Promise<void> {
    this.stopControllers();
    for (const close of [...this.watches]) close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
