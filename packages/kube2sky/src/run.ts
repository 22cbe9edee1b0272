import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { Kube2skyConfig } from './cli.js';
import { startHealthServer, type HealthServerOptions } from './health.js';
import { loadKubeConfig } from './kubeconfig.js';
import { redactEtcdUrls } from '@kube-dns-legacy/etcdkit';
import { collectGarbage } from '@kube-dns-legacy/heap';
import { backoffDelay, ConfigError, createLogger } from '@kube-dns-legacy/processkit';
import { Metrics } from './metrics.js';
import { LeaderElector } from './leader.js';
import { Reconciler } from './reconcile.js';
import { EtcdStore } from './store.js';
import { servesEndpointSlices, SyncController } from './sync.js';

/** How often an idle kube2sky asks etcd for its revision, to repair an etcd that came back empty. */
const ETCD_CHECK_MS = 1_000;

function readPem(flag: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`--${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Run kube2sky with a parsed configuration until SIGTERM/SIGINT. */
export async function run(config: Kube2skyConfig): Promise<void> {
  const logger = createLogger('kube2sky', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  const ctx = { domain: config.domain, prefix: config.etcdPrefix, dnsConfig: config.dnsConfigMap !== undefined };

  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig(config);
  } catch (err) {
    throw new Error(`cannot configure the Kubernetes client: ${(err as Error).message}`);
  }
  logger.info('Using API server', {
    server: kubeConfig.getCurrentCluster()?.server,
    domain: config.domain,
    etcd: redactEtcdUrls(config.etcdServers),
    prefix: config.etcdPrefix,
    config_map:
      config.dnsConfigMap === undefined ? 'none' : `${config.dnsConfigMap.namespace}/${config.dnsConfigMap.name}`,
  });

  const ca = readPem('etcd-cafile', config.etcdCaFile);
  const cert = readPem('etcd-certfile', config.etcdCertFile);
  const key = readPem('etcd-keyfile', config.etcdKeyFile);
  const store = new EtcdStore({
    endpoints: config.etcdServers,
    timeoutMs: config.etcdMutationTimeoutMs,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  });
  const reconciler = new Reconciler({ store, ctx, logger, metrics, elected: config.leaderElection !== undefined });
  metrics.lagSource = () => reconciler.lagSeconds();
  const elector =
    config.leaderElection === undefined
      ? undefined
      : new LeaderElector({
          ...config.leaderElection,
          identity: `${hostname()}_${randomUUID().slice(0, 8)}`,
          kubeConfig,
          logger,
          metrics,
          onStartedLeading: () => reconciler.setWriting(true),
          onStoppedLeading: () => reconciler.setWriting(false),
        });

  let sync: SyncController | undefined;
  const servers: Server[] = [];
  const source = {
    ready: () => reconciler.ready,
    role: () =>
      elector === undefined
        ? undefined
        : elector.isLeader
          ? 'leader'
          : `follower (${elector.leader || 'no one'} leads)`,
    health: () => {
      const watches = sync?.health() ?? {};
      const checks = { etcd: reconciler.etcdHealthy, api_discovery: sync !== undefined, ...watches };
      return { ok: Object.values(checks).every(Boolean), checks };
    },
  };
  // Signal handlers come before the first await: a SIGTERM while starting still stops cleanly (exit 0).
  let stopping = false;
  let resyncTimer: NodeJS.Timeout | undefined;
  let etcdCheckTimer: NodeJS.Timeout | undefined;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down; waiting for in-flight etcd writes', { signal });
    clearInterval(resyncTimer);
    clearInterval(etcdCheckTimer);
    // Stop writing and release the Lease first, so a successor takes over at once.
    await elector?.stop();
    await sync?.stop();
    await reconciler.close();
    for (const server of servers) server.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const separateMetrics = config.metricsPort !== undefined && config.metricsPort !== config.healthzPort;
  const listen = (flag: string, options: HealthServerOptions): ReturnType<typeof startHealthServer> =>
    startHealthServer(options).catch((err: Error) => {
      throw new Error(`--${flag}: cannot listen on ${options.host} port ${options.port}: ${err.message}`);
    });
  const health = await listen('healthz-port', {
    host: config.bindAddress,
    port: config.healthzPort,
    source,
    ...(separateMetrics ? {} : { registry: metrics.registry }),
  });
  servers.push(health.server);
  logger.info(`serving /readiness, /healthz${separateMetrics ? '' : ' and /metrics'}`, {
    address: config.bindAddress,
    port: health.port,
  });
  if (separateMetrics) {
    const m = await listen('metrics-port', {
      host: config.bindAddress,
      port: config.metricsPort ?? 0,
      registry: metrics.registry,
    });
    servers.push(m.server);
    logger.info('serving /metrics', { address: config.bindAddress, port: m.port });
  }

  let useEndpointSlices: boolean | undefined;
  for (let attempt = 0; useEndpointSlices === undefined && !stopping; attempt++) {
    try {
      useEndpointSlices = await servesEndpointSlices(kubeConfig);
    } catch (err) {
      const delay = backoffDelay(attempt, 250, 10_000);
      metrics.errors.inc({ kind: 'watch' });
      logger.warn('API discovery failed; retrying', { error: (err as Error).message, retry_in_ms: delay });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  if (stopping || useEndpointSlices === undefined) return;
  logger.info(useEndpointSlices ? 'watching discovery.k8s.io/v1 EndpointSlices' : 'watching core/v1 Endpoints');
  sync = new SyncController({
    kubeConfig,
    ctx,
    reconciler,
    logger,
    metrics,
    useEndpointSlices,
    podRecords: config.podRecords === 'verified',
    watchTimeoutSeconds: config.watchTimeoutSeconds,
    ...(config.dnsConfigMap !== undefined ? { dnsConfigMap: config.dnsConfigMap } : {}),
  });
  sync.start();
  resyncTimer = setInterval(() => reconciler.resync(), config.resyncPeriodMs);
  etcdCheckTimer = setInterval(() => void reconciler.checkEtcd(), ETCD_CHECK_MS);
  void reconciler.whenReady().then(() => {
    logger.info(
      elector === undefined
        ? 'ready: initial lists written to etcd'
        : 'ready: initial lists in; writing to etcd only while leading',
    );
    collectGarbage();
  });
  elector?.start();
}
