import { redactEtcdUrl } from '@kube-dns-legacy/etcdkit';
import { normalizeGoFlags, parseGoDuration } from '@kube-dns-legacy/goflags';
import { fqdn } from '@kube-dns-legacy/skymsg';
import yargs, { type Argv } from 'yargs';
import {
  ConfigError,
  DEFAULT_UDP_CAP,
  domainName,
  hostmasterName,
  parseListenAddr,
  type SkydnsConfig,
} from './config.js';
import { parseNetwork } from './forward/acl.js';
import { defaultWorkers } from './cpus.js';
import { parseUpstream } from './forward/upstream.js';
import { DEFAULT_TCP_MAX_PER_CLIENT } from './server-tcp.js';

function options(env: NodeJS.ProcessEnv) {
  return {
    addr: {
      type: 'string',
      default: env.SKYDNS_ADDR || '127.0.0.1:53',
      describe: 'ip:port to serve DNS on, UDP and TCP (env SKYDNS_ADDR)',
    },
    domain: {
      type: 'string',
      default: env.SKYDNS_DOMAIN || 'skydns.local.',
      describe: 'domain to answer for (env SKYDNS_DOMAIN)',
    },
    machines: {
      type: 'string',
      default: env.ETCD_MACHINES || 'http://127.0.0.1:2379',
      describe: 'etcd endpoints, comma-separated (env ETCD_MACHINES)',
    },
    nameservers: {
      type: 'string',
      default: env.SKYDNS_NAMESERVERS || '',
      describe: 'upstream ip:port list, comma-separated; empty = /etc/resolv.conf (env SKYDNS_NAMESERVERS)',
    },
    'no-rec': {
      type: 'boolean',
      default: false,
      describe: 'never forward queries outside the domain (SERVFAIL instead)',
    },
    'ns-rotate': {
      type: 'boolean',
      default: true,
      describe: 'start forwarding at a server picked by the query ID (false = first listed first)',
    },
    'round-robin': {
      type: 'boolean',
      default: true,
      describe: 'rotate A/AAAA records between replies (CNAMEs stay first)',
    },
    'answer-cache': {
      type: 'boolean',
      default: true,
      describe:
        'reuse encoded authoritative answers for repeated questions (false resolves and encodes every query, to measure the cache)',
    },
    rtimeout: { type: 'string', default: '2s', describe: 'upstream timeout per try (Go duration)' },
    'path-prefix': {
      type: 'string',
      default: env.SKYDNS_PATH_PREFIX || 'skydns',
      describe: 'etcd key prefix (env SKYDNS_PATH_PREFIX)',
    },
    local: { type: 'string', default: '', describe: 'name that local.dns.<domain> stands for' },
    hostmaster: { type: 'string', default: '', describe: 'SOA RNAME, "@" allowed (default hostmaster.<domain>)' },
    rcache: { type: 'number', default: 0, describe: 'response cache capacity for upstream replies (0 = off)' },
    'rcache-ttl': { type: 'number', default: 60, describe: 'longest time (s) a cached upstream reply is kept' },
    ndots: {
      type: 'number',
      default: Number(env.SKYDNS_NDOTS || 2),
      describe: 'fewest labels a name needs to be forwarded (env SKYDNS_NDOTS)',
    },
    verbose: { type: 'boolean', default: false, describe: 'log every query' },
    'ca-cert': {
      type: 'string',
      default: env.ETCD_CACERT || '',
      describe: 'CA certificate for etcd TLS (env ETCD_CACERT)',
    },
    'tls-key': {
      type: 'string',
      default: env.ETCD_TLSKEY || '',
      describe: 'client key for etcd TLS (env ETCD_TLSKEY)',
    },
    'tls-pem': {
      type: 'string',
      default: env.ETCD_TLSPEM || '',
      describe: 'client certificate for etcd TLS (env ETCD_TLSPEM)',
    },
    username: { type: 'string', default: env.ETCD_USERNAME || '', describe: 'etcd user (env ETCD_USERNAME)' },
    password: { type: 'string', default: env.ETCD_PASSWORD || '', describe: 'etcd password (env ETCD_PASSWORD)' },
    etcd3: {
      type: 'boolean',
      default: false,
      describe: 'accepted for compatibility: etcd is always read through the v3 API',
    },
    discover: { type: 'boolean', default: false, describe: 'accepted for compatibility (SkyDNS 2015); ignored' },
    scache: {
      type: 'number',
      default: 10000,
      describe: 'accepted for compatibility (DNSSEC signature cache); ignored',
    },
    stubzones: {
      type: 'boolean',
      default: false,
      describe: 'send questions under the zones in stub.dns.<domain> (etcd) to their servers',
    },
    'allow-recursion': {
      type: 'string',
      default: '',
      describe:
        'forward only for clients in these networks, comma-separated (10.0.0.0/8,fd00::/8); others get REFUSED. Empty: every client',
    },
    autopath: {
      type: 'boolean',
      default: false,
      describe:
        "answer a pod's first search-path candidate with the first name of its search path that exists (needs pod records)",
    },
    systemd: {
      type: 'boolean',
      default: env.SKYDNS_SYSTEMD === 'true',
      describe: 'socket activation is not supported; must stay false',
    },
    dnssec: { type: 'string', default: '', describe: 'DNSSEC signing is not supported; must stay empty' },
    'metrics-port': {
      type: 'number',
      describe: 'port for /metrics and /healthz (env PROMETHEUS_PORT); off when unset',
    },
    'udp-size': { type: 'number', default: DEFAULT_UDP_CAP, describe: 'largest UDP reply in bytes (512-65535)' },
    'tcp-idle-timeout': { type: 'string', default: '10s', describe: 'close idle TCP connections after this long' },
    'tcp-max-connections': {
      type: 'number',
      default: 256,
      describe: 'most TCP connections served at once; from 7/8 of it on, the longest-idle ones are closed for new ones',
    },
    'tcp-max-connections-per-client': {
      type: 'number',
      default: DEFAULT_TCP_MAX_PER_CLIENT,
      describe:
        "most TCP connections from one client address; beyond it the client's longest-idle one is closed (0 = no limit)",
    },
    version: { type: 'boolean', default: false, describe: 'print the version and exit' },
    workers: {
      type: 'number',
      describe:
        'DNS worker processes on one port, each with its own copy of the records (default: the CPUs of the cgroup quota; 1 without a quota)',
    },
  } as const;
}

/** The yargs parser for skydns (for `--help` text and parsing). */
export function skydnsCli(argv: readonly string[], env: NodeJS.ProcessEnv): Argv {
  return yargs(normalizeGoFlags(argv).args)
    .scriptName('skydns')
    .usage(
      'skydns [flags]\n\nServes DNS for -domain from the SkyDNS records kube2sky keeps in etcd under /<path-prefix>/.\nFlags take one or two dashes (-addr=0.0.0.0:53 or --addr 0.0.0.0:53).',
    )
    .parserConfiguration({
      'boolean-negation': false,
      'camel-case-expansion': false,
      'short-option-groups': false,
      'dot-notation': false,
      'duplicate-arguments-array': false,
    })
    .help(false)
    .version(false)
    .options(options(env))
    .strict()
    .wrap(110)
    .exitProcess(false)
    .fail((message, err) => {
      throw new ConfigError(message || err?.message || 'bad arguments');
    });
}

function positiveInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`-${name} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function durationMs(name: string, text: string): number {
  try {
    const ms = parseGoDuration(text, { bareSeconds: true });
    if (ms <= 0) throw new Error('must be positive');
    return ms;
  } catch (err) {
    throw new ConfigError(`-${name}: ${(err as Error).message}`);
  }
}

/** The metrics port from `-metrics-port` or `PROMETHEUS_PORT`; a non-number (e.g. a service link `tcp://…`) is ignored with a warning. */
function metricsPort(flag: number | undefined, env: NodeJS.ProcessEnv, warnings: string[]): number | undefined {
  if (flag !== undefined) return positiveInt('metrics-port', flag, 1, 65535);
  const raw = env.PROMETHEUS_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    warnings.push(
      `PROMETHEUS_PORT=${JSON.stringify(raw)} is not a port number (a Kubernetes service link?); metrics stay off`,
    );
    return undefined;
  }
  return port;
}

/** Parsed flags plus warnings worth logging at start-up. */
export interface ParsedArgs {
  /** The configuration. */
  readonly config: SkydnsConfig;
  /** Problems that did not stop start-up. */
  readonly warnings: string[];
}

/**
 * Parse skydns's command line and environment into a configuration (the `/skydns/config` key is
 * applied later); throws a {@link ConfigError} with a clear message on bad flags or values.
 */
export function parseSkydnsArgs(argv: string[], env: NodeJS.ProcessEnv): SkydnsConfig {
  return parseSkydnsArgsWithWarnings(argv, env).config;
}

/** {@link parseSkydnsArgs}, also returning the warnings. */
export function parseSkydnsArgsWithWarnings(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const a = skydnsCli(argv, env).parseSync();
  if (a._.length > 0)
    throw new ConfigError(`unexpected argument ${JSON.stringify(String(a._[0]))}: skydns takes only flags`);
  if (a.systemd === true) throw new ConfigError('-systemd: socket activation is not supported; use -addr');
  if (a.dnssec !== '') throw new ConfigError('-dnssec: DNSSEC signing is not supported');
  const warnings: string[] = [];
  const domain = domainName(String(a.domain), '-domain');
  const machines = String(a.machines)
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (machines.length === 0) throw new ConfigError('-machines must list at least one etcd endpoint');
  for (const m of machines) {
    if (!/^https?:\/\/[^/]+\/?$/.test(m))
      throw new ConfigError(`-machines: ${JSON.stringify(redactEtcdUrl(m))} is not an http(s)://host:port URL`);
  }
  let nameservers: ReturnType<typeof parseUpstream>[] | undefined;
  try {
    const list = String(a.nameservers)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    nameservers = list.length === 0 ? undefined : list.map(parseUpstream);
  } catch (err) {
    throw new ConfigError(`-nameservers: ${(err as Error).message}`);
  }
  let allowRecursion: ReturnType<typeof parseNetwork>[] | undefined;
  try {
    const list = String(a['allow-recursion'])
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    allowRecursion = list.length === 0 ? undefined : list.map(parseNetwork);
  } catch (err) {
    throw new ConfigError(`-allow-recursion: ${(err as Error).message}`);
  }
  const prefix = String(a['path-prefix']).replace(/^\/+|\/+$/g, '');
  if (prefix === '' || prefix.includes('/'))
    throw new ConfigError(
      `-path-prefix must be one path segment such as "skydns", got ${JSON.stringify(a['path-prefix'])}`,
    );
  const config: SkydnsConfig = {
    addr: parseListenAddr(String(a.addr)),
    domain,
    machines,
    nameservers,
    noRec: Boolean(a['no-rec']),
    allowRecursion,
    stubzones: Boolean(a.stubzones),
    autopath: Boolean(a.autopath),
    nsRotate: Boolean(a['ns-rotate']),
    roundRobin: Boolean(a['round-robin']),
    answerCache: Boolean(a['answer-cache']),
    rtimeoutMs: durationMs('rtimeout', String(a.rtimeout)),
    pathPrefix: prefix,
    local: a.local === '' ? '' : fqdn(String(a.local)),
    hostmaster: hostmasterName(String(a.hostmaster), domain),
    rcache: positiveInt('rcache', Number(a.rcache), 0, 10_000_000),
    rcacheTtl: positiveInt('rcache-ttl', Number(a['rcache-ttl']), 1, 86_400),
    verbose: Boolean(a.verbose),
    caCert: String(a['ca-cert']),
    tlsKey: String(a['tls-key']),
    tlsPem: String(a['tls-pem']),
    username: String(a.username),
    password: String(a.password),
    ndots: positiveInt('ndots', Number(a.ndots), 0, 127),
    ttl: 3600,
    minTtl: 60,
    priority: 10,
    metricsPort: metricsPort(a['metrics-port'] as number | undefined, env, warnings),
    metricsPath: env.PROMETHEUS_PATH || '/metrics',
    metricsPrefix: `${env.PROMETHEUS_NAMESPACE ?? 'skydns'}_${env.PROMETHEUS_SUBSYSTEM ?? 'skydns'}_`.replace(
      /^_+/,
      '',
    ),
    udpSize: positiveInt('udp-size', Number(a['udp-size']), 512, 65535),
    tcpIdleMs: durationMs('tcp-idle-timeout', String(a['tcp-idle-timeout'])),
    tcpMaxConnections: positiveInt('tcp-max-connections', Number(a['tcp-max-connections']), 1, 100_000),
    tcpMaxPerClient: positiveInt(
      'tcp-max-connections-per-client',
      Number(a['tcp-max-connections-per-client']),
      0,
      100_000,
    ),
    version: Boolean(a.version),
    workers: a.workers === undefined ? defaultWorkers() : positiveInt('workers', Number(a.workers), 1, 256),
  };
  if ((config.tlsKey === '') !== (config.tlsPem === ''))
    throw new ConfigError('-tls-key and -tls-pem must be given together');
  if (a.discover === true) warnings.push('-discover is ignored: list every etcd endpoint in -machines');
  return { config, warnings };
}
