#!/usr/bin/env node
import { ArgsError, isVersionRequest, parseExechealthzArgs, type ExechealthzConfig } from './args.js';
import { createLogger } from '@kube-dns-legacy/processkit';
import { runLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createHealthzServer } from './server.js';
import { packageVersion } from './version.js';
import { ExecWorker } from './worker.js';
import { formatGoDuration } from '@kube-dns-legacy/goflags';

function configFromCommandLine(): ExechealthzConfig {
  if (isVersionRequest(process.argv.slice(2))) {
    process.stdout.write(`exechealthz version: ${packageVersion()} (kube-dns-legacy)\n`);
    process.exit(0);
  }
  try {
    const parsed = parseExechealthzArgs(process.argv.slice(2), process.env);
    if (parsed.help) {
      process.stdout.write(`${parsed.usage}\n`);
      process.exit(0);
    }
    return parsed.config;
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    process.stderr.write(`exechealthz: ${err.message}\nRun "exechealthz --help" for the flags.\n`);
    process.exit(2);
  }
}

const config = configFromCommandLine();
const logger = createLogger('exechealthz', config.logLevel);
const metrics = createMetrics();
const runLog = runLogger(logger, config.cmd, config.verbose);
const worker = new ExecWorker({
  cmd: config.cmd,
  periodMs: config.periodMs,
  timeoutMs: config.latencyMs,
  onRun: (outcome) => {
    metrics.recordRun(outcome);
    runLog(outcome);
  },
});
const server = createHealthzServer({
  worker,
  cmd: config.cmd,
  latencyMs: config.latencyMs,
  verbose: config.verbose,
  metrics,
  logger,
});

server.on('error', (err) => {
  logger.error('cannot serve HTTP', { address: config.bindAddress, port: config.port, error: err.message });
  void worker.stop().finally(() => process.exit(1));
});
server.listen(config.port, config.bindAddress, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info('serving /healthz', {
    address: config.bindAddress,
    port,
    cmd: config.cmd,
    period: formatGoDuration(config.periodMs),
    latency: formatGoDuration(config.latencyMs),
  });
  worker.start();
});

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  server.close();
  server.closeAllConnections();
  void worker.stop().then(() => {
    logger.info('stopped');
    process.exit(0);
  });
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
