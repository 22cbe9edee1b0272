export {
  parseExechealthzArgs,
  isVersionRequest,
  ArgsError,
  LOG_LEVELS,
  type ExechealthzArgs,
  type ExechealthzConfig,
  type LogLevel,
} from './args.js';
export {
  healthzResponse,
  describeResult,
  formatGoTime,
  initialResult,
  type ExecResult,
  type HealthzResponse,
} from './result.js';
export { runCommand, MAX_OUTPUT_BYTES, type RunOutcome, type RunningCommand } from './runner.js';
export { ExecWorker, type WorkerOptions } from './worker.js';
export { createHealthzServer, type ServerOptions } from './server.js';
export { createMetrics, type HealthzMetrics } from './metrics.js';
export { runLogger } from './logger.js';
