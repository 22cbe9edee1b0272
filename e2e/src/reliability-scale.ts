import { encodeRecord, leafLabel, nameToKey } from '@kube-dns-legacy/skymsg';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { Cluster, putRecord, startSkydns } from './reliability-cluster.js';
import { QTYPE, tcpQuery, udpQuery, type WireReply } from './reliability-dns.js';
import { startStallProbe, type StallSummary } from './reliability-fuzz.js';

// 100,000 keys under one name and a wildcard over the whole tree (run by `npm run soak`): the
// answers must be capped (4096 records) and fit the transport, and a small question asked every
// 10 ms by another process must never wait long behind the big ones.

/** Put many key/value pairs through etcd's JSON gateway, 128 per transaction (etcd's limit), 8 transactions at a time. */
export async function bulkPut(etcd: EtcdServer, entries: readonly (readonly [string, string])[]): Promise<void> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const chunks: (readonly (readonly [string, string])[])[] = [];
  for (let i = 0; i < entries.length; i += 128) chunks.push(entries.slice(i, i + 128));
  for (let i = 0; i < chunks.length; i += 8) {
    await Promise.all(
      chunks.slice(i, i + 8).map(async (chunk) => {
        const res = await fetch(`${etcd.endpoint}/v3/kv/txn`, {
          method: 'POST',
          body: JSON.stringify({
            success: chunk.map(([key, value]) => ({ requestPut: { key: b64(key), value: b64(value) } })),
          }),
        });
        if (!res.ok) throw new Error(`etcd txn: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }),
    );
  }
}

/** `count` records under one name, as kube2sky would write them (distinct addresses, FNV leaf labels). */
export function hugeEntries(name: string, count: number): [string, string][] {
  const entries: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const value = encodeRecord({
      host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      priority: 10,
      weight: 10,
      ttl: 30,
    });
    entries.push([`${nameToKey(name)}/${leafLabel(value)}`, value]);
  }
  return entries;
}

/** What the big questions got: each reply and how long it took (ms). */
export interface BigAnswers {
  readonly replies: Record<string, WireReply>;
  readonly timings: Record<string, number>;
}

/**
 * Ask the big questions one after another: `name` (with more records than any reply holds) over
 * UDP without and with EDNS, over TCP as A and SRV, and wildcards over the whole tree.
 */
export async function askBig(port: number, name: string): Promise<BigAnswers> {
  const timings: Record<string, number> = {};
  const replies: Record<string, WireReply> = {};
  const ask = async (label: string, query: () => Promise<WireReply>): Promise<void> => {
    const t0 = Date.now();
    replies[label] = await query();
    timings[label] = Date.now() - t0;
  };
  await ask('udp', () => udpQuery(port, name, QTYPE.A, 10_000));
  await ask('udpEdns', () => udpQuery(port, name, QTYPE.A, 10_000, 4096));
  await ask('tcp', () => tcpQuery(port, name, QTYPE.A, 10_000));
  await ask('srv', () => tcpQuery(port, name, QTYPE.SRV, 10_000));
  await ask('wildcard', () => tcpQuery(port, '*.svc.cluster.local.', QTYPE.A, 10_000));
  await ask('wildcardUdp', () => udpQuery(port, '*.*.svc.cluster.local.', QTYPE.A, 10_000));
  return { replies, timings };
}

/** What is wrong with the big answers: UDP must be NOERROR with TC=1 within 1232 bytes, TCP a capped NOERROR answer, each within 1 s. */
export function bigAnswerProblems({ replies, timings }: BigAnswers): string[] {
  const problems: string[] = [];
  for (const label of ['udp', 'udpEdns']) {
    const r = replies[label];
    if (r?.rcode !== 'NOERROR' || !r.truncated) problems.push(`${label}: want NOERROR with TC=1`);
    if ((r?.size ?? 0) > 1232) problems.push(`${label}: ${r?.size} bytes over UDP`);
  }
  for (const label of ['tcp', 'srv', 'wildcard']) {
    const r = replies[label];
    if (r?.rcode !== 'NOERROR' || r.answers.length === 0)
      problems.push(
        `${label} over TCP: no records (${r?.rcode}, ${r?.answers.length} records); a capped answer was expected`,
      );
  }
  for (const [label, ms] of Object.entries(timings)) if (ms > 1_000) problems.push(`${label}: took ${ms} ms`);
  return problems;
}

/** One line per big answer: rcode, records, bytes, TC. */
export function bigAnswerSummary({ replies }: BigAnswers): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(replies).map(([k, r]) => [
      k,
      { rcode: r.rcode, records: r.answers.length, bytes: r.size, tc: r.truncated },
    ]),
  );
}

/** Figures of one scale run, and every requirement it missed. */
export interface ScaleResult {
  readonly figures: Record<string, unknown>;
  readonly problems: string[];
}

const GOOD = 'kubernetes.default.svc.cluster.local.';
const HUGE = 'huge.default.svc.cluster.local.';

/** Run the scenario against a fresh etcd and skydns; everything started is stopped before it returns. */
export async function runStoreScale(keys: number): Promise<ScaleResult> {
  const etcd = await EtcdServer.start();
  try {
    await putRecord(etcd, GOOD, { host: '10.0.0.1', priority: 10, weight: 10, ttl: 30 });
    const skydns = await startSkydns(etcd.endpoint);
    try {
      const entries = hugeEntries(HUGE, keys);
      const started = Date.now();
      await bulkPut(etcd, entries);
      const writtenMs = Date.now() - started;
      await waitFor(
        `skydns to hold ${keys} records`,
        async () => (await Cluster.metric(skydns.metricsPort, 'skydns_skydns_store_records')) >= keys,
        180_000,
        200,
      );
      const loadedMs = Date.now() - started;

      const probe = await startStallProbe(skydns.port, GOOD);
      const big = await askBig(skydns.port, HUGE);
      const stall: StallSummary = await probe.stop();

      const problems = bigAnswerProblems(big);
      if (stall.lost > 0 || stall.maxMs > 100)
        problems.push(
          `a small question asked every 10 ms waited up to ${stall.maxMs} ms (${stall.over100ms} over 100 ms, ${stall.lost} lost) behind the big ones`,
        );
      if (!skydns.process.alive) problems.push('skydns died');
      return {
        figures: { keys, writtenMs, loadedMs, timings: big.timings, replies: bigAnswerSummary(big), probe: stall },
        problems,
      };
    } finally {
      await skydns.process.stop();
    }
  } finally {
    await etcd.stop();
  }
}
