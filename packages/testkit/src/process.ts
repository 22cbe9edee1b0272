import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A child process whose output is kept for assertions and which is killed when the test process exits. */
export class ManagedProcess {
  readonly child: ChildProcess;
  private text = '';
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    running.add(this.child);
    const collect = (chunk: Buffer): void => {
      this.text += chunk.toString('utf8');
      if (this.text.length > 4_000_000) this.text = this.text.slice(-2_000_000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.text += `\n[spawn error] ${err.message}\n`;
      });
      this.child.once('close', (code, signal) => {
        running.delete(this.child);
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  /** Everything the process has written to stdout and stderr so far. */
  get output(): string {
    return this.text;
  }

  /** True while the process has not exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Wait until the output matches `pattern`; fails with the output when the process exits first or time runs out. */
  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.text.match(pattern);
      if (match) return match;
      if (!this.alive) throw new Error(`${this.name} exited before printing ${pattern}; output:\n${this.text}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms; output:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Send `signal` and wait for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<number | string> {
    if (!this.alive) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
