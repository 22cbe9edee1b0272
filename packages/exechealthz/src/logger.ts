import type { Logger } from '@kube-dns-legacy/processkit';
import type { RunOutcome } from './runner.js';

/**
 * A callback for each run: logs when the command starts failing or recovers (warn/info), and every
 * run at info when `verbose` (debug otherwise).
 */
export function runLogger(logger: Logger, cmd: string, verbose: boolean): (outcome: RunOutcome) => void {
  let failing = false;
  return (outcome: RunOutcome): void => {
    const { error, output } = outcome.result;
    logger.log(verbose ? 'info' : 'debug', 'worker ran the probe command', {
      cmd,
      durationMs: outcome.durationMs,
      error,
    });
    if (error !== null && !failing) logger.warn('probe command failing', { cmd, error, output });
    if (error === null && failing) logger.info('probe command succeeding again', { cmd });
    failing = error !== null;
  };
}
