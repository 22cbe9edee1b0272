import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What dig printed, split into header facts and sections (lines with whitespace collapsed). */
export interface DigResult {
  /** `NOERROR`, `NXDOMAIN`, … */
  readonly status: string;
  /** Header flags (`qr`, `aa`, `tc`, `rd`, `ra`). */
  readonly flags: string[];
  /** The OPT pseudo-section's UDP size, when the reply carried one. */
  readonly ednsUdp: number | undefined;
  /** Answer records (`name ttl class type rdata`). */
  readonly answer: string[];
  /** Authority records. */
  readonly authority: string[];
  /** Additional records (OPT excluded). */
  readonly additional: string[];
  /** dig's full output. */
  readonly raw: string;
}

/** Run the real dig against `127.0.0.1:port` and parse its output (test helper). */
export async function dig(port: number, ...args: string[]): Promise<DigResult> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+time=2',
    '+tries=1',
    '+nocmd',
    '+noall',
    '+comments',
    '+answer',
    '+authority',
    '+additional',
    ...args,
  ]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? '';
  const flags = (/;; flags: ([a-z ]*);/.exec(stdout)?.[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
  const udp = /; EDNS: version: \d+, flags:[^;]*; udp: (\d+)/.exec(stdout)?.[1];
  const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^;; (\w+) SECTION:/.exec(line);
    if (header?.[1] !== undefined) {
      current = sections[header[1]];
      continue;
    }
    if (line.trim() === '' || line.startsWith(';')) {
      if (line.trim() === '') current = undefined;
      continue;
    }
    current?.push(line.trim().split(/\s+/).join(' '));
  }
  return {
    status,
    flags,
    ednsUdp: udp === undefined ? undefined : Number(udp),
    answer: sections.ANSWER ?? [],
    authority: sections.AUTHORITY ?? [],
    additional: sections.ADDITIONAL ?? [],
    raw: stdout,
  };
}
