export { Backoff, backoffDelay, type BackoffOptions } from './backoff.js';
export { CONFIG_ERROR_STATUS, ConfigError, exitOnError } from './config-error.js';
export { createLogger, logFn, type LogFn, type Logger, type LogLevel } from './log.js';
