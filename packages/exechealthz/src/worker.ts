import { initialResult, type ExecResult } from './result.js';
import { runCommand, type RunOutcome, type RunningCommand } from './runner.js';

/** What the worker runs and how often. */
export interface WorkerOptions {
  cmd: string;
  periodMs: number;
  /** A run still going after this long is killed (the -latency bound). */
  timeoutMs: number;
  /** Called after every run, for logs and metrics. */
  onRun?: (outcome: RunOutcome) => void;
}

/**
 * Runs the probe command every period, first one period after `start()`. Runs never overlap: a
 * command slower than the period is followed by the next run immediately (back to back).
 */
export class ExecWorker {
  private current: ExecResult = initialResult(new Date());
  private timer: NodeJS.Timeout | undefined;
  private running: RunningCommand | undefined;
  private inflight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: WorkerOptions) {}

  /** The latest result (the initial success stamped at construction until the first run ends). */
  get result(): ExecResult {
    return this.current;
  }

  /** Start the periodic runs. */
  start(): void {
    this.current = initialResult(new Date());
    this.schedule(this.options.periodMs);
  }

  /** Stop scheduling, kill a run in progress and wait for it to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.running?.kill();
    await this.inflight;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inflight = this.runOnce();
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    const started = Date.now();
    this.running = runCommand(this.options.cmd, this.options.timeoutMs);
    const outcome = await this.running.done;
    this.running = undefined;
    if (this.stopped) return;
    this.current = outcome.result;
    this.options.onRun?.(outcome);
    this.schedule(Math.max(0, started + this.options.periodMs - Date.now()));
  }
}
