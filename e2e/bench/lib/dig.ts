import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTool } from '@kube-dns-legacy/testkit';

const run = promisify(execFile);

/** What one dig query showed. */
export interface DigResult {
  readonly status: string;
  readonly answers: number;
  readonly truncated: boolean;
  readonly bytes: number;
  /** dig's own "Query time" (ms). */
  readonly queryMs: number;
}

/** Ask `name` once with the real dig (`+ignore`: a truncated UDP reply is reported as such, not retried over TCP). */
export async function dig(
  port: number,
  name: string,
  type: string,
  options: readonly string[] = [],
): Promise<DigResult> {
  requireTool('dig');
  const { stdout } = await run(
    'dig',
    [`@127.0.0.1`, '-p', String(port), '+time=10', '+tries=1', '+ignore', ...options, type, name],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const header = /status: (\w+).*\n;; flags: ([a-z ]*);.*ANSWER: (\d+)/.exec(stdout);
  if (header === null) throw new Error(`dig ${name} ${type}: no reply header in:\n${stdout.slice(0, 500)}`);
  return {
    status: header[1] as string,
    truncated: (header[2] as string).split(' ').includes('tc'),
    answers: Number(header[3]),
    bytes: Number(/MSG SIZE\s+rcvd: (\d+)/.exec(stdout)?.[1]),
    queryMs: Number(/Query time: (\d+) msec/.exec(stdout)?.[1]),
  };
}
