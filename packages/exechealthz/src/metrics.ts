import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunOutcome } from './runner.js';

/** The sidecar's Prometheus metrics, in a registry of their own. */
export interface HealthzMetrics {
  registry: Registry;
  /** Count one finished run of the probe command. */
  recordRun(outcome: RunOutcome): void;
  /** Count one /healthz answer by status code. */
  recordProbe(status: number): void;
}

/** Create the metrics (`exechealthz_*` plus the standard process metrics). */
export function createMetrics(): HealthzMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runs = new Counter({
    name: 'exechealthz_runs_total',
    help: 'Runs of the probe command by result (success, failure, timeout).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'exechealthz_run_duration_seconds',
    help: 'Wall time of each run of the probe command.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const lastRun = new Gauge({
    name: 'exechealthz_last_run_timestamp_seconds',
    help: 'When the last run finished (Unix time).',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'exechealthz_last_run_success',
    help: '1 if the last run exited 0, else 0.',
    registers: [registry],
  });
  const probes = new Counter({
    name: 'exechealthz_healthz_requests_total',
    help: 'Requests to /healthz by HTTP status code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  for (const result of ['success', 'failure', 'timeout']) runs.labels(result).inc(0);
  return {
    registry,
    recordRun(outcome: RunOutcome): void {
      const result = outcome.timedOut ? 'timeout' : outcome.result.error === null ? 'success' : 'failure';
      runs.labels(result).inc();
      duration.observe(outcome.durationMs / 1_000);
      lastRun.set(outcome.result.at.getTime() / 1_000);
      lastSuccess.set(outcome.result.error === null ? 1 : 0);
    },
    recordProbe(status: number): void {
      probes.labels(String(status)).inc();
    },
  };
}
