import { normalizeGoFlags } from '@kube-dns-legacy/goflags';
import winston from 'winston';
import yargs from 'yargs';
import { SandboxApiServer } from './server.js';
import { packageVersion } from './version.js';

/** Parse the flags, start the sandbox, print its URL and kubeconfig path, and run until `stopSignal` settles; returns the exit code. */
export async function runCli(argv: readonly string[], stopSignal: Promise<NodeJS.Signals>): Promise<number> {
  const args = await yargs(normalizeGoFlags(argv).args)
    .scriptName('sandbox-apiserver')
    .usage('$0 [flags]')
    .epilogue(
      'A small Kubernetes API server (core/v1 namespaces, services, endpoints, pods, configmaps; discovery.k8s.io/v1 endpointslices; coordination.k8s.io/v1 leases) speaking the real list/watch protocol, for tests and `npm run up`. Its only controller mirrors the Endpoints of selectorless Services into EndpointSlices: create Endpoints yourself. Logs are winston JSON; SIGTERM exits 0.',
    )
    .option('port', { type: 'number', default: 0, describe: 'TCP port on the listen address (0 = a free port)' })
    .option('address', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
    .option('kubeconfig', {
      type: 'string',
      describe: 'where to write a kubeconfig for kubectl and client libraries (default: a temporary file)',
    })
    .option('service-cidr', {
      type: 'string',
      default: '10.0.0.0/24',
      describe:
        'range ClusterIPs are allocated from, or an IPv4 and an IPv6 range separated by a comma (dual-stack, first = primary family); default/kubernetes gets the first address',
    })
    .option('endpoint-slices', {
      type: 'boolean',
      default: true,
      describe: 'serve discovery.k8s.io/v1 endpointslices (--no-endpoint-slices to hide them)',
    })
    .option('tls', {
      type: 'boolean',
      default: false,
      describe: 'serve https with a throw-away CA (made with openssl; the kubeconfig carries it)',
    })
    .option('token', {
      type: 'string',
      array: true,
      describe: 'bearer token to require (repeatable); default: no authentication',
    })
    .option('history', {
      type: 'number',
      default: 1000,
      describe: 'changes kept for watches to resume from; older resourceVersions answer 410 Expired',
    })
    .option('bookmark-interval', {
      type: 'number',
      default: 60,
      describe: 'seconds between BOOKMARK events on watches that allow them',
    })
    .option('log-level', {
      type: 'string',
      default: 'info',
      choices: ['error', 'warn', 'info', 'debug'],
      describe: 'log level (debug logs every request)',
    })
    .check((a) => {
      if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
        throw new Error(`--port must be 0-65535, got ${a.port}`);
      if (!Number.isInteger(a.history) || a.history < 1)
        throw new Error(`--history must be a positive integer, got ${a.history}`);
      if (!(a['bookmark-interval'] > 0))
        throw new Error(`--bookmark-interval must be positive, got ${a['bookmark-interval']}`);
      return true;
    })
    .strict()
    .help()
    .version(
      'version',
      'print the version and exit',
      `sandbox-apiserver version: ${packageVersion()} (kube-dns-legacy)`,
    )
    .parseAsync();
  const logger = winston.createLogger({
    level: args['log-level'],
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'sandbox-apiserver' },
    transports: [new winston.transports.Console()],
  });
  let api: SandboxApiServer;
  try {
    api = await SandboxApiServer.start({
      port: args.port,
      host: args.address,
      serviceCidr: args['service-cidr'],
      endpointSlices: args['endpoint-slices'],
      kubeconfigPath: args.kubeconfig,
      tls: args.tls,
      tokens: args.token?.map(String),
      historyLimit: args.history,
      bookmarkIntervalMs: args['bookmark-interval'] * 1000,
      logger,
    });
  } catch (err) {
    logger.error('cannot start', { error: (err as Error).message });
    return 1;
  }
  process.stdout.write(
    `url: ${api.url}\nkubeconfig: ${api.kubeconfigPath}\n${api.caPath ? `ca: ${api.caPath}\n` : ''}`,
  );
  const signal = await stopSignal;
  logger.info('stopping', { signal });
  await api.stop();
  return 0;
}
