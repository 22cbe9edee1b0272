import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { redactEtcdUrls } from '@kube-dns-legacy/etcdkit';
import { collectGarbage } from '@kube-dns-legacy/heap';
import { applyEtcdConfig, ConfigError, configKey, SKYDNS_VERSION, type SkydnsConfig } from './config.js';
import { ResponseCache, resolvConfServers, type Upstream } from './forward/index.js';
import { DnsHandler } from './handler.js';
import { startHttp } from './health.js';
import type { HoldEnd } from './store/index.js';
import type { LogFn } from '@kube-dns-legacy/processkit';
import { Metrics, NO_METRICS, type StoreGauges } from './metrics.js';
import type { ResolveContext } from './resolve/context.js';
import { DnsServer, type UdpMode } from './server.js';
import { EtcdStore } from './store/index.js';
import { serveWorkerState, type WorkerRole } from './workers.js';

/** A running skydns: DNS listeners, the etcd store and the optional HTTP endpoint. */
export interface RunningSkydns {
  /** The configuration in force (flags, env and `/skydns/config`). */
  readonly config: SkydnsConfig;
  /** The DNS port actually bound. */
  readonly port: number;
  /** Stop everything. */
  close(): Promise<void>;
}

async function upstreams(config: SkydnsConfig, resolvConf: string, log: LogFn): Promise<Upstream[]> {
  if (config.nameservers !== undefined) return config.nameservers;
  try {
    return resolvConfServers(await readFile(resolvConf, 'utf8'));
  } catch (err) {
    log('warn', 'no upstream name servers: cannot read resolv.conf', {
      file: resolvConf,
      error: (err as Error).message,
    });
    return [];
  }
}

/**
 * The UDP path asked for in `SKYDNS_UDP`: `batch` (the udp-batch addon, or fail), `dgram` (Node's
 * dgram) or unset/`auto` (batch when the addon loads, else dgram, with a warning).
 */
export function udpModeFromEnv(value: string | undefined): UdpMode {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'batch' || value === 'dgram') return value;
  throw new ConfigError(`SKYDNS_UDP must be auto, batch or dgram, not ${JSON.stringify(value)}`);
}

/** Start skydns with a parsed configuration: read `/skydns/config`, listen, load and watch etcd. */
export async function startSkydns(
  flags: SkydnsConfig,
  log: LogFn,
  resolvConf = '/etc/resolv.conf',
  role?: WorkerRole,
): Promise<RunningSkydns> {
  let store: EtcdStore | undefined;
  let handler: DnsHandler | undefined;
  let metrics: Metrics | undefined;
  const gauges = (): StoreGauges => ({
    size: store?.tree.size ?? 0,
    ready: store?.tree.ready ?? false,
    connected: store?.connected ?? false,
    lastSync: store?.lastSync ?? 0,
  });
  const storeOptions = {
    endpoints: flags.machines,
    prefix: flags.pathPrefix,
    caCert: flags.caCert,
    tlsKey: flags.tlsKey,
    tlsPem: flags.tlsPem,
    username: flags.username,
    password: flags.password,
    log,
    onChange: (keys: readonly string[]) => handler?.recordsChanged(keys),
    // Counted here; the store warns, at most once per 10 s.
    onBadValue: () => metrics?.badValues.inc(),
    onHoldEnd: (reason: HoldEnd) => metrics?.holds.inc({ reason }),
    // A full read of the tree leaves tens of MiB of garbage (pages of etcd replies, decoded JSON);
    // collected at once, the resident set at 120,000 records stays under 150 MiB instead of ~190.
    afterLoad: async (): Promise<void> => collectGarbage(),
  };
  store = new EtcdStore(storeOptions);
  let config = flags;
  try {
    const text = await store.readConfig();
    if (text !== undefined) {
      config = applyEtcdConfig(flags, text);
      log('info', `applied ${configKey(flags.pathPrefix)} from etcd`, { key: configKey(flags.pathPrefix) });
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      await store.stop();
      throw err;
    }
    log('warn', 'falling back to default configuration, could not read from etcd', { error: (err as Error).message });
  }
  if (config.pathPrefix !== flags.pathPrefix) throw new ConfigError('path prefix cannot change');
  metrics = config.metricsPort === undefined ? undefined : new Metrics(config.metricsPrefix, gauges);
  const ctx: ResolveContext = {
    store: store.tree,
    domain: config.domain,
    prefix: config.pathPrefix,
    ttl: config.ttl,
    minTtl: config.minTtl,
    priority: config.priority,
    hostmaster: config.hostmaster,
    local: config.local,
    version: SKYDNS_VERSION,
    // SkyDNS's serial is the Unix hour; ours is the hour of the last change of the records served,
    // so it changes only when they (and so the cached answers) do: no hourly cache flush.
    serial: () => Math.floor((store as EtcdStore).changedAt / 3_600_000) * 3600,
  };
  const servers = await upstreams(config, resolvConf, log);
  handler = new DnsHandler({
    ctx,
    forward: { servers, rotate: config.nsRotate, timeoutMs: config.rtimeoutMs },
    noRec: config.noRec,
    allowRecursion: config.allowRecursion,
    stubzones: config.stubzones,
    autopath: config.autopath,
    ndots: config.ndots,
    roundRobin: config.roundRobin,
    answerCache: config.answerCache,
    udpCap: config.udpSize,
    rcache: config.rcache > 0 ? new ResponseCache(config.rcache, config.rcacheTtl) : undefined,
    rcacheTtl: config.rcacheTtl,
    observer: metrics ?? NO_METRICS,
    verbose: config.verbose,
    log,
  });
  const dns = new DnsServer((msg, tcp, peer) => (handler as DnsHandler).handle(msg, tcp, peer), {
    host: config.addr.host,
    port: config.addr.port,
    // The workers of -workers each bind the port with SO_REUSEPORT; the kernel spreads senders over them.
    reusePort: role !== undefined,
    tcpIdleMs: config.tcpIdleMs,
    tcpMaxConnections: config.tcpMaxConnections,
    tcpMaxPerClient: config.tcpMaxPerClient,
    udp: udpModeFromEnv(process.env['SKYDNS_UDP']),
    log,
  });
  try {
    await dns.listen();
  } catch (err) {
    await store.stop();
    throw new ConfigError(`cannot listen on ${config.addr.host}:${config.addr.port}: ${(err as Error).message}`);
  }
  let http: Server | undefined;
  // A worker's metrics and health are served by the primary, summed over the workers.
  if (role !== undefined)
    serveWorkerState(metrics?.registry, gauges, () => {
      const replies = { udp: 0, tcp: 0 };
      for (const c of metrics?.counters.requestCounts() ?? []) replies[c.tcp ? 'tcp' : 'udp'] += c.count;
      return replies;
    });
  else if (metrics !== undefined && config.metricsPort !== undefined) {
    try {
      // On the DNS address's host: every interface in the pod (-addr=0.0.0.0:53, the probes need it), loopback in the local pod.
      http = await startHttp(config.metricsPort, config.addr.host, config.metricsPath, metrics.registry, gauges);
      log('info', 'metrics enabled', { port: config.metricsPort, path: config.metricsPath, health: '/healthz' });
    } catch (err) {
      await dns.close();
      await store.stop();
      throw new ConfigError(`cannot serve metrics on port ${config.metricsPort}: ${(err as Error).message}`);
    }
  }
  if (dns.udpPath.mode === 'batch') log('info', 'UDP: recvmmsg/sendmmsg, up to 64 datagrams per system call');
  else
    log(dns.udpPath.reason === undefined ? 'info' : 'warn', "UDP: Node's dgram, one system call per datagram", {
      reason: dns.udpPath.reason,
    });
  store.start();
  const upstreamList = servers.map((s) => `${s.host}:${s.port}`);
  const worker = role === undefined ? {} : { worker: role.worker };
  for (const proto of ['tcp', 'udp']) {
    log('info', `ready for queries on ${config.domain} for ${proto}://${config.addr.host}:${dns.port}`, {
      rcache: config.rcache,
      nameservers: config.noRec ? 'disabled (-no-rec)' : upstreamList,
      etcd: redactEtcdUrls(config.machines),
      ...worker,
    });
  }
  const running = store;
  return {
    config,
    port: dns.port,
    async close(): Promise<void> {
      await dns.close();
      (handler as DnsHandler).close();
      await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
      await running.stop();
    },
  };
}
