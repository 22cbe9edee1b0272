#!/usr/bin/env node
import { startSkydns } from './app.js';
import { parseSkydnsArgsWithWarnings, skydnsCli } from './cli.js';
import { createLogger, exitOnError, logFn } from '@kube-dns-legacy/processkit';
import { SKYDNS_VERSION } from './config.js';

async function main(argv: string[]): Promise<void> {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '-help' || a === '--h')) {
    process.stdout.write(`${await skydnsCli([], process.env).getHelp()}\n`);
    return;
  }
  const { config, warnings } = parseSkydnsArgsWithWarnings(argv, process.env);
  if (config.version) {
    process.stdout.write(`skydns server version: ${SKYDNS_VERSION} (kube-dns-legacy)\n`);
    return;
  }
  const logger = createLogger('skydns', config.verbose ? 'debug' : 'info');
  const log = logFn(logger);
  for (const warning of warnings) log('warn', warning);
  const running = await startSkydns(config, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    running
      .close()
      .then(() => {
        log('info', 'stopped');
        logger.on('finish', () => process.exit(0));
        logger.end();
        setTimeout(() => process.exit(0), 500).unref();
      })
      .catch((err: Error) => {
        process.stderr.write(`skydns: error while stopping: ${err.message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => exitOnError('skydns', err));
