import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

// prom-client's classes, loaded from its own files rather than its index. The index also loads
// collectDefaultMetrics, whose CPU metric loads the OpenTelemetry API for exemplars, which no
// metric here enables: ~6.8 MiB more RSS in every process (docs/performance.md, "Memory at scale").
// prom-client has no exports map; these are the files its index re-exports.
const require = createRequire(import.meta.url);

export const Registry = require('prom-client/lib/registry') as typeof Prom.Registry;
export type Registry = Prom.Registry;
export const Counter = require('prom-client/lib/counter') as typeof Prom.Counter;
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge = require('prom-client/lib/gauge') as typeof Prom.Gauge;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export const Histogram = require('prom-client/lib/histogram') as typeof Prom.Histogram;
export type Histogram<T extends string = string> = Prom.Histogram<T>;
export const AggregatorRegistry = require('prom-client/lib/cluster') as typeof Prom.AggregatorRegistry;

/** prom-client's default metrics after the CPU ones, in its order (`processResources` where Node has it, as prom-client does). */
const DEFAULT_METRICS = [
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  ...(typeof process.getActiveResourcesInfo === 'function' ? ['processResources'] : []),
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
];

/**
 * prom-client's `collectDefaultMetrics` (the same families, names, help and order), with the three
 * `process_cpu_*seconds_total` counters made here: prom-client's own module for them is what loads
 * the OpenTelemetry API.
 */
export function collectDefaultMetrics(config: { register: Registry; prefix?: string }): void {
  const prefix = config.prefix ?? '';
  const registers = [config.register];
  let last = process.cpuUsage();
  const user = new Counter({
    name: `${prefix}process_cpu_user_seconds_total`,
    help: 'Total user CPU time spent in seconds.',
    registers,
    // This one metric's collect sets all three, as in prom-client.
    collect(): void {
      const now = process.cpuUsage();
      const userMicros = now.user - last.user;
      const systemMicros = now.system - last.system;
      last = now;
      user.inc(userMicros / 1e6);
      system.inc(systemMicros / 1e6);
      total.inc((userMicros + systemMicros) / 1e6);
    },
  });
  const system = new Counter({
    name: `${prefix}process_cpu_system_seconds_total`,
    help: 'Total system CPU time spent in seconds.',
    registers,
  });
  const total = new Counter({
    name: `${prefix}process_cpu_seconds_total`,
    help: 'Total user and system CPU time spent in seconds.',
    registers,
  });
  const options = { eventLoopMonitoringPrecision: 10, ...config };
  for (const name of DEFAULT_METRICS)
    (require(`prom-client/lib/metrics/${name}`) as (register: Registry, options: object) => void)(
      config.register,
      options,
    );
}
