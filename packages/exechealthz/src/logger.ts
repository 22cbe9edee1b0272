import winston from 'winston';
import type { LogLevel } from './args.js';
import type { RunOutcome } from './runner.js';

/** A JSON logger on stderr with timestamps, tagged `exechealthz`. */
export function createLogger(level: LogLevel): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    defaultMeta: { component: 'exechealthz' },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/**
 * A callback for each run: logs when the command starts failing or recovers (warn/info), and every
 * run at info when `verbose` (debug otherwise).
 */
export function runLogger(logger: winston.Logger, cmd: string, verbose: boolean): (outcome: RunOutcome) => void {
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
