import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One frame's share of the profile. */
export interface FrameCost {
  readonly frame: string;
  /** ms spent in the frame itself. */
  readonly selfMs: number;
  /** ms spent in the frame and everything it called (counted once per sample). */
  readonly totalMs: number;
}

function label(n: ProfileNode, root: string): string {
  const f = n.callFrame;
  const where =
    f.url === '' ? '' : ` ${f.url.startsWith('file://') ? relative(root, f.url.slice(7)) : f.url}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${where}`;
}

/** The frames of a V8 .cpuprofile (node --cpu-prof) with the most self and total time; idle and GC are reported as V8 names them. */
export function topFrames(
  file: string,
  root: string,
  count = 15,
): { bySelf: FrameCost[]; byTotal: FrameCost[]; totalMs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    all += ms;
    const node = byId.get(id);
    if (node === undefined) return;
    const name = label(node, root);
    self.set(name, (self.get(name) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n === undefined) break;
      const l = label(n, root);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + ms);
    }
  });
  const rows = [...self.keys(), ...total.keys()]
    .filter((v, i, a) => a.indexOf(v) === i)
    .map((frame) => ({ frame, selfMs: self.get(frame) ?? 0, totalMs: total.get(frame) ?? 0 }));
  return {
    bySelf: [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, count),
    byTotal: [...rows]
      .filter((r) => !/^\((root|program|idle|garbage collector)\)/.test(r.frame))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, count),
    totalMs: all,
  };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** The allocation sites holding the most memory in a V8 sampling .heapprofile (node --heap-prof), self and with callees. */
export function topAllocations(
  file: string,
  root: string,
  count = 15,
): { bySelf: FrameCost[]; byTotal: FrameCost[]; totalBytes: number } {
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const name = (n: HeapNode): string => label({ id: 0, callFrame: n.callFrame }, root);
  const walk = (n: HeapNode, stack: ReadonlySet<string>): number => {
    const l = name(n);
    self.set(l, (self.get(l) ?? 0) + n.selfSize);
    const inner = new Set(stack).add(l);
    let sum = n.selfSize;
    for (const c of n.children) sum += walk(c, inner);
    if (!stack.has(l)) total.set(l, (total.get(l) ?? 0) + sum);
    return sum;
  };
  const all = walk(head, new Set());
  const rows = [...total.keys()].map((frame) => ({
    frame,
    selfMs: (self.get(frame) ?? 0) / 1048576,
    totalMs: (total.get(frame) ?? 0) / 1048576,
  }));
  return {
    bySelf: [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, count),
    byTotal: [...rows]
      .filter((r) => !/^\(root\)/.test(r.frame))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, count),
    totalBytes: all,
  };
}
