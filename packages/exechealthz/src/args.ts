import { isIP } from 'node:net';
import yargs from 'yargs';
import { formatGoDuration, normalizeGoFlags, parseGoDuration } from '@kube-dns-legacy/goflags';

/** Log levels the process accepts for `--log-level`. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** One of the accepted `--log-level` values. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the sidecar needs to run, after flags, environment and defaults are merged. */
export interface ExechealthzConfig {
  /** Shell command run as `sh -c <cmd>` every period. */
  cmd: string;
  /** TCP port served on `bindAddress` (0 picks a free one). */
  port: number;
  /** IP address the port listens on (`0.0.0.0`: every interface, as kubelet probes need). */
  bindAddress: string;
  /** Time between the starts of two runs; a slower command runs back to back. */
  periodMs: number;
  /** Maximum age of the last result before /healthz fails; also the time a hanging command is given. */
  latencyMs: number;
  /** Log every run and every probe request (the original logged both by default). */
  verbose: boolean;
  /** Minimum level of the structured logs. */
  logLevel: LogLevel;
}

/** True when the command line asks for the version (`--version`, `-version`), whatever else it holds. */
export function isVersionRequest(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--version' || a === '-version');
}

/** The outcome of parsing the command line: either a configuration to run or a request for help. */
export type ExechealthzArgs = { help: true; usage: string } | { help: false; config: ExechealthzConfig };

/** A command-line or environment value the sidecar cannot run with. */
export class ArgsError extends Error {
  override name = 'ArgsError';
}

/** Flags that take a value (Go `flag` lets that value be the next argument). */
const VALUE_FLAGS = new Set(['cmd', 'port', 'bind-address', 'period', 'latency', 'log-level']);

const ENV_PREFIX = 'EXECHEALTHZ_';

/**
 * Parse the sidecar's flags. Accepts the original Go spellings (`-cmd=…`, `-cmd …`, `--cmd=…`,
 * `-period=2s`); `EXECHEALTHZ_<FLAG>` environment variables supply defaults that flags override.
 */
export function parseExechealthzArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ExechealthzArgs {
  let normalized: string[];
  try {
    normalized = normalizeGoFlags(argv, { valueFlags: VALUE_FLAGS }).args;
  } catch (err) {
    throw new ArgsError((err as Error).message);
  }
  const fromEnv = (name: string): string | undefined => env[ENV_PREFIX + name.toUpperCase().replace(/-/g, '_')];
  const parser = yargs(normalized)
    .help(false)
    .version(false)
    .scriptName('exechealthz')
    .usage(
      'Usage: exechealthz [flags]\n\n' +
        'Runs a shell command every -period and serves its result over HTTP for kubelet probes:\n' +
        '/healthz answers 200 "ok" while the last run exited 0 and is younger than -latency,\n' +
        "and 503 with the command's output otherwise. Also serves / (index) and /metrics (Prometheus).",
    )
    .options({
      cmd: {
        type: 'string',
        default: fromEnv('cmd') ?? 'echo healthz',
        describe: 'Command to run as `sh -c <cmd>`; exit 0 = healthy',
      },
      port: {
        type: 'string',
        default: fromEnv('port') ?? '8080',
        describe: 'Port to serve /healthz on',
      },
      'bind-address': {
        type: 'string',
        default: fromEnv('bind-address') ?? '0.0.0.0',
        describe: 'IP address the port listens on (127.0.0.1: this machine only; :: for IPv6)',
      },
      period: {
        type: 'string',
        default: fromEnv('period') ?? '2s',
        describe: 'Time between runs (Go duration: 500ms, 2s, 1m)',
      },
      latency: {
        type: 'string',
        default: fromEnv('latency') ?? '30s',
        describe: 'Maximum age of the last result before /healthz fails; a run still going after this long is killed',
      },
      verbose: {
        type: 'boolean',
        default: parseBool(fromEnv('verbose'), 'EXECHEALTHZ_VERBOSE'),
        describe: 'Log every run and every probe request',
      },
      'log-level': {
        type: 'string',
        default: fromEnv('log-level') ?? 'info',
        choices: LOG_LEVELS,
        describe: 'Minimum level of the JSON logs (stderr)',
      },
      help: { type: 'boolean', alias: 'h', default: false, describe: 'Show this help and exit' },
      version: { type: 'boolean', default: false, describe: 'Print the version and exit' },
    })
    .epilog(
      'Flags may be written -flag=value, -flag value or --flag=value (Go style, as the original exechealthz).\n' +
        'Each flag can also come from the environment as EXECHEALTHZ_<FLAG> (e.g. EXECHEALTHZ_CMD); flags win.\n' +
        'The original /quit endpoint is not served: stop the process with SIGTERM.\n\n' +
        'Example (the kube-dns pod):\n' +
        '  exechealthz -cmd="nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null" -port=8080',
    )
    .strict()
    .exitProcess(false)
    .wrap(110)
    .fail((message, err) => {
      throw new ArgsError(err?.message ?? message);
    });

  const raw = parser.parseSync();
  if (raw.help) {
    let usage = '';
    parser.showHelp((text) => {
      usage = text;
    });
    return { help: true, usage };
  }
  const cmd = raw.cmd;
  if (cmd.trim() === '') throw new ArgsError('-cmd must not be empty');
  return {
    help: false,
    config: {
      cmd,
      port: parsePort(raw.port),
      bindAddress: parseBindAddress(raw['bind-address']),
      periodMs: positiveDuration('period', raw.period),
      latencyMs: positiveDuration('latency', raw.latency),
      verbose: raw.verbose,
      logLevel: raw['log-level'] as LogLevel,
    },
  };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ArgsError(`invalid -port "${text}": expected an integer from 0 to 65535`);
  }
  return port;
}

function parseBindAddress(text: string): string {
  if (isIP(text) === 0) throw new ArgsError(`invalid -bind-address "${text}": expected an IP address`);
  return text;
}

function positiveDuration(flag: string, text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (err) {
    throw new ArgsError(`invalid -${flag}: ${(err as Error).message}`);
  }
  if (!(ms > 0)) throw new ArgsError(`invalid -${flag} "${text}": must be positive (got ${formatGoDuration(ms)})`);
  return ms;
}

function parseBool(text: string | undefined, source: string): boolean {
  if (text === undefined || text === '') return false;
  if (/^(1|t|true|yes)$/i.test(text)) return true;
  if (/^(0|f|false|no)$/i.test(text)) return false;
  throw new ArgsError(`invalid ${source} "${text}": expected true or false`);
}
