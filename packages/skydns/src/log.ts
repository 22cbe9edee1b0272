import winston from 'winston';

/** A log function as the modules take it. */
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;

/** A structured (JSON lines) winston logger on stderr; debug level with `-verbose`. */
export function createLog(verbose: boolean): { log: LogFn; logger: winston.Logger } {
  const logger = winston.createLogger({
    level: verbose ? 'debug' : 'info',
    defaultMeta: { component: 'skydns' },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return { logger, log: (level, message, meta) => logger.log(level, message, meta) };
}
