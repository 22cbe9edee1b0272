import assert from 'node:assert/strict';
import { QTYPE, tcpQuery, udpQuery, type WireRecord, type WireReply } from '../src/reliability-dns.js';
import type { Question } from './corpus.js';

// Ask two servers the same questions and say, aspect by aspect, where their replies differ.

/** What is compared between two replies. */
export type Aspect = 'rcode' | 'answer' | 'ttl' | 'authority' | 'flags';

/** One difference between our reply and the peer's. */
export interface Difference {
  readonly question: Question;
  readonly transport: 'udp' | 'tcp';
  readonly aspect: Aspect;
  readonly ours: string;
  readonly theirs: string;
}

const TYPE_NAMES = Object.fromEntries(Object.entries(QTYPE).map(([k, v]) => [v, k])) as Record<number, string>;
const typeName = (t: number): string => TYPE_NAMES[t] ?? `TYPE${t}`;
const sorted = (items: string[]): string => items.sort().join(' | ');

/** The comparable parts of a reply, each as a canonical string. */
export function aspects(reply: WireReply): Record<Aspect, string> {
  const rr = (r: WireRecord): string => `${r.name} ${typeName(r.type)} ${r.data.toLowerCase()}`;
  return {
    rcode: reply.rcode,
    answer: sorted(reply.answers.map(rr)),
    ttl: sorted(reply.answers.map((r) => `${r.name} ${typeName(r.type)} ${r.ttl}`)),
    authority: sorted(reply.authority.map((r) => `${r.name} ${typeName(r.type)}`)),
    flags:
      `${reply.authoritative ? 'aa ' : ''}${reply.recursionAvailable ? 'ra ' : ''}${reply.truncated ? 'tc' : ''}`.trim(),
  };
}

async function ask(port: number, q: Question, transport: 'udp' | 'tcp'): Promise<WireReply> {
  const type = QTYPE[q.type];
  for (let attempt = 0; ; attempt++) {
    try {
      return transport === 'udp'
        ? await udpQuery(port, q.name, type, 2_000, q.udpSize, q.from)
        : await tcpQuery(port, q.name, type, 5_000, q.udpSize, q.from);
    } catch (err) {
      if (attempt >= 2)
        throw new Error(`${q.name} ${q.type} over ${transport} to port ${port}: ${(err as Error).message}`);
    }
  }
}

/** Ask both servers every question over UDP and TCP (16 at a time) and return every difference. */
export async function compareServers(
  ours: number,
  theirs: number,
  corpus: readonly Question[],
): Promise<{ asked: number; differences: Difference[] }> {
  const differences: Difference[] = [];
  const jobs = corpus.flatMap((question) => (['udp', 'tcp'] as const).map((transport) => ({ question, transport })));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { question, transport } = jobs[next++] as (typeof jobs)[number];
      const [a, b] = await Promise.all([ask(ours, question, transport), ask(theirs, question, transport)]);
      const mine = aspects(a);
      const peer = aspects(b);
      for (const aspect of Object.keys(mine) as Aspect[]) {
        if (mine[aspect] !== peer[aspect])
          differences.push({ question, transport, aspect, ours: mine[aspect], theirs: peer[aspect] });
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { asked: jobs.length, differences };
}

/** A difference we keep on purpose, with the reason (docs/conformance.md lists the same). */
export interface IntendedDifference {
  readonly id: string;
  readonly reason: string;
  readonly matches: (d: Difference) => boolean;
}

/** The differences no intended difference explains, and how many each intended one explained. */
export function classify(
  differences: readonly Difference[],
  intended: readonly IntendedDifference[],
): { unexplained: Difference[]; counts: Map<string, number> } {
  const counts = new Map<string, number>(intended.map((i) => [i.id, 0]));
  const unexplained: Difference[] = [];
  for (const d of differences) {
    const rule = intended.find((i) => i.matches(d));
    if (rule === undefined) unexplained.push(d);
    else counts.set(rule.id, (counts.get(rule.id) ?? 0) + 1);
  }
  return { unexplained, counts };
}

/** Differences grouped by kind of name, type and aspect, with one example each (for failure messages). */
export function summarize(differences: readonly Difference[], limit = 60): string {
  const groups = new Map<string, { count: number; example: Difference }>();
  for (const d of differences) {
    const key = `${d.question.kind} ${d.question.type} ${d.aspect}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { count: 1, example: d });
    else g.count++;
  }
  return [...groups]
    .slice(0, limit)
    .map(
      ([key, { count, example: e }]) =>
        `${count}× ${key}: ${e.question.name} (${e.transport}${e.question.udpSize ? ' edns' : ''}${e.question.from ? ` from ${e.question.from}` : ''})\n    ours:   ${e.ours}\n    theirs: ${e.theirs}`,
    )
    .join('\n');
}

/**
 * Ask `ours` and `theirs` every question of `corpus` (over UDP and TCP) and fail unless at least
 * `minAsked` were asked and `intended` explains every difference; logs how many each one explained,
 * as `label: …`. A failure lists up to `limit` groups of unexplained differences.
 */
export async function assertEveryDifferenceIntended(check: {
  readonly label: string;
  readonly ours: number;
  readonly theirs: number;
  readonly corpus: readonly Question[];
  readonly intended: readonly IntendedDifference[];
  readonly minAsked: number;
  readonly limit?: number;
}): Promise<void> {
  const { label, ours, theirs, corpus, intended, minAsked, limit } = check;
  const { asked, differences } = await compareServers(ours, theirs, corpus);
  assert.ok(asked >= minAsked, `${asked} questions asked`);
  const { unexplained, counts } = classify(differences, intended);
  console.log(
    `${label}: ${asked} questions, ${differences.length} differences, all intended: ${JSON.stringify(Object.fromEntries(counts))}`,
  );
  assert.equal(
    unexplained.length,
    0,
    `${unexplained.length} of ${differences.length} differences are not intended:\n${summarize(unexplained, limit)}\nintended: ${JSON.stringify(Object.fromEntries(counts))}`,
  );
}
