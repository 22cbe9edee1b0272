import { spawn } from 'node:child_process';
import { formatGoDuration } from '@kube-dns-legacy/goflags';
import type { ExecResult } from './result.js';

/** Output beyond this many bytes is dropped (a probe's output is diagnostic, not data). */
export const MAX_OUTPUT_BYTES = 64 * 1024;

/** One finished run: its result and how long it took. */
export interface RunOutcome {
  result: ExecResult;
  durationMs: number;
  /** True when the command was killed for outliving `timeoutMs`. */
  timedOut: boolean;
}

/** A run in progress that can be awaited or cancelled. */
export interface RunningCommand {
  done: Promise<RunOutcome>;
  /** Kill the command and everything it started. */
  kill(): void;
}

/**
 * Run `sh -c <cmd>` in its own process group, collecting stdout and stderr together. When it is still
 * running after `timeoutMs`, the whole group is killed with SIGKILL and the run counts as failed.
 */
export function runCommand(cmd: string, timeoutMs: number): RunningCommand {
  const started = Date.now();
  const child = spawn('sh', ['-c', cmd], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const collect = (chunk: Buffer): void => {
    if (size >= MAX_OUTPUT_BYTES) {
      truncated = true;
      return;
    }
    const part = chunk.subarray(0, MAX_OUTPUT_BYTES - size);
    if (part.length < chunk.length) truncated = true;
    chunks.push(part);
    size += part.length;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  let timedOut = false;
  const killGroup = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);

  const done = new Promise<RunOutcome>((resolve) => {
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Background children of the shell may outlive it; never leave them behind.
      killGroup();
      let output = Buffer.concat(chunks).toString('utf8');
      if (truncated) output += `\n[output truncated at ${MAX_OUTPUT_BYTES} bytes]`;
      let error: string | null = null;
      if (spawnError) error = `cannot run sh: ${spawnError.message}`;
      else if (timedOut)
        error = `signal: SIGKILL (still running after ${formatGoDuration(timeoutMs)}, the -latency bound)`;
      else if (signal !== null) error = `signal: ${signal}`;
      else if (code !== 0) error = `exit status ${code ?? 'unknown'}`;
      resolve({ result: { output, error, at: new Date() }, durationMs: Date.now() - started, timedOut });
    });
  });
  return { done, kill: killGroup };
}
