import { redactEtcdUrl, splitEtcdCredentials } from '@kube-dns-legacy/etcdkit';
import { isIP } from 'node:net';
import { ConfigError } from '@kube-dns-legacy/processkit';
import { normalizeGoFlags, parseGoDuration } from '@kube-dns-legacy/goflags';
import { fqdn, isDnsSubdomain } from '@kube-dns-legacy/skymsg';
import yargs, { type Argv } from 'yargs';
import { expandEnv } from './env.js';
import type { LeaderElectionConfig } from './leader.js';

/** kube2sky's configuration, from its flags. */
export interface Kube2skyConfig {
  /** Cluster domain, lower-case and fully qualified (`cluster.local.`). */
  readonly domain: string;
  /** etcd client URLs. */
  readonly etcdServers: readonly string[];
  /** Deadline of one etcd request, in milliseconds (`--etcd-mutation-timeout`). */
  readonly etcdMutationTimeoutMs: number;
  /** etcd path prefix (`skydns`). */
  readonly etcdPrefix: string;
  /** PEM files for etcd TLS. */
  readonly etcdCaFile?: string;
  readonly etcdCertFile?: string;
  readonly etcdKeyFile?: string;
  /** API server URL, environment variables expanded. */
  readonly kubeMasterUrl?: string;
  /** kubeconfig path. */
  readonly kubecfgFile?: string;
  /** IP address the health and metrics ports listen on (`0.0.0.0`: every interface, as kubelet probes need). */
  readonly bindAddress: string;
  /** Port of /readiness, /healthz and (unless `metricsPort`) /metrics. */
  readonly healthzPort: number;
  /** Separate port for /metrics, when set. */
  readonly metricsPort?: number;
  /** How often etcd is re-read and compared with the objects, in milliseconds. */
  readonly resyncPeriodMs: number;
  /** Whether pods are watched for `<a-b-c-d>.<ns>.pod.<domain>` records. */
  readonly podRecords: 'verified' | 'disabled';
  /** `timeoutSeconds` of each watch request; a watch silent for twice as long is re-listed. */
  readonly watchTimeoutSeconds: number;
  /** The kube-dns ConfigMap whose stubDomains and upstreamNameservers are mirrored into etcd (`--config-map`, empty: none). */
  readonly dnsConfigMap?: { readonly namespace: string; readonly name: string };
  /** With --leader-elect: the Lease and timings replicas elect their one writer with (the identity is chosen at start). */
  readonly leaderElection?: Omit<LeaderElectionConfig, 'identity'>;
  /** winston log level. */
  readonly logLevel: string;
  /** Deprecation notes about the flags used, to be logged at start. */
  readonly warnings: readonly string[];
}

/** A command-line problem: a {@link ConfigError} (printed without a stack trace, exit status 2). */
export class Kube2skyArgsError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'Kube2skyArgsError';
  }
}

/** Flags of kube2sky ≤1.11 and glog that are accepted and ignored. */
const IGNORED_FLAGS = new Set([
  'v',
  'logtostderr',
  'alsologtostderr',
  'verbose',
  'stderrthreshold',
  'log-dir',
  'vmodule',
  'log-backtrace-at',
]);

/** glog flags (`-v=2`, `-log_dir …`) take a value, as in Go, so it is dropped with them. */
const GLOG_VALUE_FLAGS: ReadonlySet<string> = new Set(['v', 'log-dir', 'vmodule']);

/**
 * Rewrite old spellings: single-dash long flags (`-domain=x`, Go's flag package) become `--domain=x`,
 * underscores in flag names become dashes (with a deprecation note), and glog flags are dropped.
 * Throws when a glog value flag ends the line (Go's "flag needs an argument").
 */
export function normalizeArgs(argv: readonly string[]): { args: string[]; warnings: string[] } {
  const { args: all, renamed } = normalizeGoFlags(argv, { valueFlags: GLOG_VALUE_FLAGS });
  const warnings = renamed.map(({ from, to }) => `flag ${from} is deprecated, use ${to}`);
  const args: string[] = [];
  for (const arg of all) {
    const name = /^--?([^=]+)/.exec(arg)?.[1];
    if (name !== undefined && IGNORED_FLAGS.has(name))
      warnings.push(`flag ${arg} is ignored (kube2sky logs structured JSON; use --log-level)`);
    else args.push(arg);
  }
  return { args, warnings };
}

/** The yargs parser with every flag, its default and its help text. */
export function kube2skyParser(args: readonly string[]): Argv {
  return yargs([...args])
    .scriptName('kube2sky')
    .usage(
      '$0 [flags]\n\nMirrors Kubernetes Services, Endpoints (or EndpointSlices) and Pods into SkyDNS records in etcd.\nOld spellings work too: -domain=cluster.local, --kube_master_url=...',
    )
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .option('domain', {
      type: 'string',
      default: 'cluster.local',
      describe: 'Cluster domain; records are written under it',
    })
    .option('etcd-server', {
      type: 'string',
      default: 'http://127.0.0.1:4001',
      describe: 'etcd client URL, or a comma-separated list of URLs',
    })
    .option('etcd-mutation-timeout', {
      type: 'string',
      default: '10s',
      describe: 'Deadline of one etcd request; failed writes are retried with back-off, never fatal',
    })
    .option('etcd-prefix', { type: 'string', default: 'skydns', describe: 'etcd path prefix (SkyDNS -path-prefix)' })
    .option('etcd-cafile', { type: 'string', describe: 'PEM CA bundle for etcd TLS' })
    .option('etcd-certfile', { type: 'string', describe: 'PEM client certificate for etcd TLS (with --etcd-keyfile)' })
    .option('etcd-keyfile', { type: 'string', describe: 'PEM client key for etcd TLS (with --etcd-certfile)' })
    .option('kube-master-url', {
      type: 'string',
      default: '',
      describe: 'Kubernetes API server URL; environment variables such as ${KUBERNETES_SERVICE_HOST} are expanded',
    })
    .option('kubecfg-file', {
      type: 'string',
      default: '',
      describe: 'kubeconfig file; --kube-master-url overrides its server. Neither: in-cluster service account',
    })
    .option('healthz-port', {
      type: 'number',
      default: 8081,
      describe: 'Port of /readiness (200 after the initial sync is in etcd), /healthz and /metrics',
    })
    .option('metrics-port', { type: 'number', describe: 'Serve /metrics on this port instead of --healthz-port' })
    .option('bind-address', {
      type: 'string',
      default: '0.0.0.0',
      describe: 'IP address --healthz-port and --metrics-port listen on (127.0.0.1: this machine only; :: for IPv6)',
    })
    .option('resync-period', {
      type: 'string',
      default: '30m',
      describe: 'How often etcd is re-read and compared with the objects (writes only differences)',
    })
    .option('pod-records', {
      type: 'string',
      choices: ['verified', 'disabled'],
      default: 'verified',
      describe: 'verified: watch pods and publish <a-b-c-d>.<ns>.pod.<domain>; disabled: no pod watch',
    })
    .option('watch-timeout', {
      type: 'string',
      default: '5m',
      describe: 'timeoutSeconds of each watch request; a watch silent for twice as long is re-listed',
    })
    .option('config-map', {
      type: 'string',
      default: 'kube-dns',
      describe:
        'ConfigMap whose stubDomains and upstreamNameservers (as kube-dns reads them) become stub-zone and upstream records in etcd; empty: none',
    })
    .option('config-map-namespace', {
      type: 'string',
      default: 'kube-system',
      describe: 'Namespace of --config-map',
    })
    .option('leader-elect', {
      type: 'boolean',
      default: false,
      describe:
        'Elect one writer among replicas sharing an etcd with a coordination.k8s.io Lease; the others keep their caches warm',
    })
    .option('leader-elect-lease-duration', {
      type: 'string',
      default: '15s',
      describe: 'How long a Lease holds without renewal before another replica may take it',
    })
    .option('leader-elect-renew-deadline', {
      type: 'string',
      default: '10s',
      describe: 'How long the leader tries to renew before it stops writing (less than the lease duration)',
    })
    .option('leader-elect-retry-period', {
      type: 'string',
      default: '2s',
      describe: 'How often each replica tries to acquire or renew the Lease',
    })
    .option('leader-elect-resource-name', { type: 'string', default: 'kube2sky', describe: 'Name of the Lease' })
    .option('leader-elect-resource-namespace', {
      type: 'string',
      default: 'kube-system',
      describe: 'Namespace of the Lease',
    })
    .option('log-level', {
      type: 'string',
      choices: ['error', 'warn', 'info', 'debug'],
      default: 'info',
      describe: 'Log level (debug logs every record written)',
    })
    .strict()
    .help(false)
    .version(false)
    .option('version', { type: 'boolean', describe: 'Print the version and exit' })
    .exitProcess(false)
    .wrap(110)
    .fail((message: string | null | undefined, err: Error | undefined) => {
      throw new Kube2skyArgsError(message || err?.message || 'invalid arguments');
    });
}

function validUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Kube2skyArgsError(`--${flag}: ${JSON.stringify(redactEtcdUrl(text))} is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || url.hostname === '')
    throw new Kube2skyArgsError(
      `--${flag}: ${JSON.stringify(redactEtcdUrl(text))} needs an http:// or https:// scheme and a host`,
    );
  return text;
}

function port(flag: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535)
    throw new Kube2skyArgsError(`--${flag}: expected a port number from 0 to 65535`);
  return value;
}

function bindAddress(text: string): string {
  if (isIP(text) === 0) throw new Kube2skyArgsError(`--bind-address: ${JSON.stringify(text)} is not an IP address`);
  return text;
}

function duration(flag: string, value: unknown): number {
  try {
    const ms = parseGoDuration(String(value), { bareSeconds: true });
    if (ms <= 0) throw new Error(`must be positive, got ${JSON.stringify(value)}`);
    return ms;
  } catch (err) {
    throw new Kube2skyArgsError(`--${flag}: ${(err as Error).message}`);
  }
}

function single(flag: string, value: unknown): unknown {
  if (Array.isArray(value)) throw new Kube2skyArgsError(`--${flag} was given more than once`);
  return value;
}

/** Parse kube2sky's command line (original and new flags) into its configuration; throws {@link Kube2skyArgsError}. */
export function parseKube2skyArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Kube2skyConfig {
  let normalized: { args: string[]; warnings: string[] };
  try {
    normalized = normalizeArgs(argv);
  } catch (err) {
    throw new Kube2skyArgsError((err as Error).message);
  }
  const { args, warnings } = normalized;
  const parsed = kube2skyParser(args).parseSync() as Record<string, unknown>;
  const get = (flag: string): unknown => single(flag, parsed[flag]);

  const domainText = String(get('domain'));
  if (!isDnsSubdomain(domainText.toLowerCase()))
    throw new Kube2skyArgsError(`--domain: ${JSON.stringify(domainText)} is not a DNS name`);
  const etcdServers = String(get('etcd-server'))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (etcdServers.length === 0) throw new Kube2skyArgsError('--etcd-server: no URL given');
  for (const url of etcdServers) validUrl('etcd-server', url);
  try {
    splitEtcdCredentials(etcdServers);
  } catch (err) {
    throw new Kube2skyArgsError(`--etcd-server: ${(err as Error).message}`);
  }
  const prefix = String(get('etcd-prefix'));
  if (prefix.split('/').filter((s) => s !== '').length === 0)
    throw new Kube2skyArgsError('--etcd-prefix must not be empty');

  const masterText = String(get('kube-master-url'));
  const kubeMasterUrl = masterText === '' ? undefined : validUrl('kube-master-url', expandEnv(masterText, env));
  const kubecfgFile = String(get('kubecfg-file')) || undefined;
  const optionalFile = (flag: string): string | undefined => {
    const value = get(flag);
    return value === undefined || value === '' ? undefined : String(value);
  };
  const etcdCaFile = optionalFile('etcd-cafile');
  const etcdCertFile = optionalFile('etcd-certfile');
  const etcdKeyFile = optionalFile('etcd-keyfile');
  if ((etcdCertFile === undefined) !== (etcdKeyFile === undefined))
    throw new Kube2skyArgsError('--etcd-certfile and --etcd-keyfile go together');
  const metricsPort = get('metrics-port');
  const watchTimeoutMs = duration('watch-timeout', get('watch-timeout'));
  const leaderElection = get('leader-elect') === true ? leaderElectionConfig(get) : undefined;
  const dnsConfigMap = configMap(String(get('config-map')), String(get('config-map-namespace')));

  return {
    domain: fqdn(domainText),
    etcdServers,
    etcdMutationTimeoutMs: duration('etcd-mutation-timeout', get('etcd-mutation-timeout')),
    etcdPrefix: prefix,
    ...(etcdCaFile !== undefined ? { etcdCaFile } : {}),
    ...(etcdCertFile !== undefined ? { etcdCertFile } : {}),
    ...(etcdKeyFile !== undefined ? { etcdKeyFile } : {}),
    ...(kubeMasterUrl !== undefined ? { kubeMasterUrl } : {}),
    ...(kubecfgFile !== undefined ? { kubecfgFile } : {}),
    bindAddress: bindAddress(String(get('bind-address'))),
    healthzPort: port('healthz-port', get('healthz-port')),
    ...(metricsPort !== undefined ? { metricsPort: port('metrics-port', metricsPort) } : {}),
    resyncPeriodMs: duration('resync-period', get('resync-period')),
    podRecords: get('pod-records') === 'disabled' ? 'disabled' : 'verified',
    watchTimeoutSeconds: Math.max(1, Math.round(watchTimeoutMs / 1000)),
    ...(leaderElection !== undefined ? { leaderElection } : {}),
    ...(dnsConfigMap !== undefined ? { dnsConfigMap } : {}),
    logLevel: String(get('log-level')),
    warnings,
  };
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** --config-map and --config-map-namespace (an empty name: no ConfigMap is watched). */
function configMap(name: string, namespace: string): { namespace: string; name: string } | undefined {
  if (name === '') return undefined;
  if (!isDnsSubdomain(name))
    throw new Kube2skyArgsError(`--config-map: ${JSON.stringify(name)} is not a valid ConfigMap name`);
  if (!NAMESPACE.test(namespace))
    throw new Kube2skyArgsError(`--config-map-namespace: ${JSON.stringify(namespace)} is not a valid namespace`);
  return { namespace, name };
}

/** The --leader-elect-* flags, checked as client-go checks them. */
function leaderElectionConfig(get: (flag: string) => unknown): Omit<LeaderElectionConfig, 'identity'> {
  const leaseDurationMs = duration('leader-elect-lease-duration', get('leader-elect-lease-duration'));
  const renewDeadlineMs = duration('leader-elect-renew-deadline', get('leader-elect-renew-deadline'));
  const retryPeriodMs = duration('leader-elect-retry-period', get('leader-elect-retry-period'));
  if (leaseDurationMs <= renewDeadlineMs)
    throw new Kube2skyArgsError('--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline');
  // Each retry waits up to 20 % more (jitter): the leader must get more than one try before its deadline.
  if (renewDeadlineMs <= 1.2 * retryPeriodMs)
    throw new Kube2skyArgsError('--leader-elect-renew-deadline must be longer than 1.2 × --leader-elect-retry-period');
  const name = String(get('leader-elect-resource-name'));
  const namespace = String(get('leader-elect-resource-namespace'));
  if (!isDnsSubdomain(name))
    throw new Kube2skyArgsError(`--leader-elect-resource-name: ${JSON.stringify(name)} is not a valid object name`);
  if (!NAMESPACE.test(namespace))
    throw new Kube2skyArgsError(
      `--leader-elect-resource-namespace: ${JSON.stringify(namespace)} is not a valid namespace`,
    );
  return { namespace, name, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}
