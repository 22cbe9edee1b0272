import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream, mkdirSync } from 'node:fs';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessSpec } from './plan.js';

/** Restart back-off: doubles from `initialMs` to `maxMs`; reset once a process has run for `resetAfterMs`. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
}

/** Where the supervisor writes lines (already prefixed with the container name). */
export type LineWriter = (line: string) => void;

/** Where the processes' own output goes besides the line writer. */
export interface LogFiles {
  /** Each process appends its lines to `<dir>/<name>.log`. */
  readonly dir: string;
  /** Also pass the processes' lines to the line writer (the supervisor's own lines always go there). */
  readonly echo: boolean;
}

interface Running {
  child: ChildProcess | undefined;
  startedAt: number;
  delayMs: number;
  restarts: number;
  probeTimer: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/** Runs a pod's processes as the kubelet would: prefixed logs, restarts with back-off, liveness probes. */
export class Supervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly specs: readonly ProcessSpec[],
    private readonly out: LineWriter,
    private readonly stateDir: string,
    private readonly backoff: Backoff = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 },
    private readonly logFiles?: LogFiles,
  ) {}

  /** Start every process. */
  start(): void {
    if (this.logFiles !== undefined) mkdirSync(this.logFiles.dir, { recursive: true });
    for (const spec of this.specs) {
      this.running.set(spec.name, {
        child: undefined,
        startedAt: 0,
        delayMs: this.backoff.initialMs,
        restarts: 0,
        probeTimer: undefined,
        restartTimer: undefined,
      });
      this.launch(spec);
    }
  }

  /** How many times each process has been restarted. */
  restarts(): Record<string, number> {
    return Object.fromEntries([...this.running].map(([name, r]) => [name, r.restarts]));
  }

  private log(name: string, line: string): void {
    this.out(`[${name}] ${line}`);
  }

  private launch(spec: ProcessSpec): void {
    const state = this.running.get(spec.name);
    if (state === undefined || this.stopping) return;
    const child = spawn(spec.command, [...spec.args], {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.child = child;
    state.startedAt = Date.now();
    const file =
      this.logFiles === undefined
        ? undefined
        : createWriteStream(join(this.logFiles.dir, `${spec.name}.log`), { flags: 'a' });
    const echo = this.logFiles?.echo ?? true;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        file?.write(`${line}\n`);
        if (echo) this.log(spec.name, line);
      });
    }
    child.once('close', () => file?.end());
    if (child.pid !== undefined)
      void writeFile(join(this.stateDir, `${spec.name}.pid`), `${child.pid}\n`).catch(() => undefined);
    child.once('error', (err) => this.log('local-pod', `${spec.name}: cannot start ${spec.command}: ${err.message}`));
    child.once('close', (code, signal) => {
      this.stopProbe(state);
      if (this.stopping) return;
      const ranMs = Date.now() - state.startedAt;
      if (ranMs >= this.backoff.resetAfterMs) state.delayMs = this.backoff.initialMs;
      const delay = state.delayMs;
      state.delayMs = Math.min(this.backoff.maxMs, state.delayMs * 2);
      state.restarts++;
      this.log(
        'local-pod',
        `${spec.name} exited (${signal ?? `code ${code}`}); restart ${state.restarts} in ${delay / 1000}s`,
      );
      state.restartTimer = setTimeout(() => this.launch(spec), delay);
    });
    this.startProbe(spec, state, child);
  }

  private startProbe(spec: ProcessSpec, state: Running, child: ChildProcess): void {
    const probe = spec.livenessProbe;
    if (probe === undefined) return;
    let failures = 0;
    const check = async (): Promise<void> => {
      let problem: string | undefined;
      try {
        const res = await fetch(`http://127.0.0.1:${probe.port}${probe.path}`, {
          signal: AbortSignal.timeout(probe.timeoutSeconds * 1000),
        });
        if (res.status < 200 || res.status >= 400) problem = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      } catch (err) {
        problem = (err as Error).message;
      }
      if (state.child !== child) return;
      failures = problem === undefined ? 0 : failures + 1;
      if (problem !== undefined)
        this.log('local-pod', `${spec.name} liveness probe failed (${failures}/${probe.failureThreshold}): ${problem}`);
      if (failures >= probe.failureThreshold) {
        this.log('local-pod', `${spec.name} failed its liveness probe; restarting it`);
        failures = 0;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        return;
      }
      state.probeTimer = setTimeout(() => void check(), probe.periodSeconds * 1000);
    };
    state.probeTimer = setTimeout(() => void check(), probe.initialDelaySeconds * 1000);
  }

  private stopProbe(state: Running): void {
    if (state.probeTimer) clearTimeout(state.probeTimer);
    state.probeTimer = undefined;
  }

  /** Stop every process (SIGTERM, then SIGKILL after `graceMs`), in reverse start order. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const names = [...this.running.keys()].reverse();
    for (const name of names) {
      const state = this.running.get(name);
      if (state === undefined) continue;
      this.stopProbe(state);
      if (state.restartTimer) clearTimeout(state.restartTimer);
      const child = state.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      await rm(join(this.stateDir, `${name}.pid`), { force: true });
    }
  }
}
