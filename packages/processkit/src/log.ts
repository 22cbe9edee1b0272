import winston from 'winston';

/** The logger type {@link createLogger} returns. */
export type Logger = winston.Logger;

/** A log level as the modules use them. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log function as the modules take it. */
export type LogFn = (level: LogLevel, message: string, meta?: Record<string, unknown>) => void;

/** A structured (JSON lines) winston logger on stderr for `component`, at `level` and above. */
export function createLogger(component: string, level: string = 'info'): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component },
    transports: [
      new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] }),
    ],
  });
}

/** `logger` as a {@link LogFn}. */
export function logFn(logger: Logger): LogFn {
  return (level, message, meta) => logger.log(level, message, meta);
}
