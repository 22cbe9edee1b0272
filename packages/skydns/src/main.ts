#!/usr/bin/env node
import cluster from 'node:cluster';
import { setFlagsFromString } from 'node:v8';
import { parseSkydnsArgsWithWarnings, skydnsCli } from './cli.js';
import { createLogger, exitOnError, logFn } from '@kube-dns-legacy/processkit';
import { SKYDNS_VERSION } from './config.js';
import { startWorkers, workerRole } from './workers.js';

// Memory at scale (docs/performance.md, skydns-memory.ts): V8 sizes its heap for memory rather than speed, and
// the young generation stays at its first size. With 120,004 records: ~91 MiB RSS instead of ~139, for
// ~0.3 µs more CPU per answered question. (Set here, before the records are loaded; kube2sky does the same.)
setFlagsFromString('--optimize-for-size');
setFlagsFromString('--semi-space-growth-factor=1');

/** How long a stop waits for a start still in progress. */
const STOP_START_WAIT_MS = 5000;

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
  // -workers above 1: this process is the primary (no records; it forks the workers, which run this
  // file again) — the DNS code is loaded only where it serves.
  const starting =
    config.workers > 1 && cluster.isPrimary
      ? startWorkers(config, log)
      : import('./app.js').then((app) => app.startSkydns(config, log, undefined, workerRole()));
  // The signal handlers come first: a SIGTERM sent as soon as "ready for queries" is logged (inside
  // the start) must stop the server gracefully, not kill it.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    // A start still waiting (for etcd, say) is not waited for long: the process exits anyway.
    const startTimeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_START_WAIT_MS).unref());
    Promise.race([starting.then((running) => running.close()), startTimeout])
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
  // A worker whose primary is gone (killed) stops too, instead of serving on without metrics or restarts.
  if (cluster.isWorker) process.on('disconnect', () => stop('primary gone'));
  await starting;
}

main(process.argv.slice(2)).catch((err: unknown) => exitOnError('skydns', err));
