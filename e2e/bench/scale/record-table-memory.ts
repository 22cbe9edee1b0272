// What kube2sky's desired state costs at scale (issue 17): a RecordTable filled with the scale benchmark's
// records, built by kube2sky's own record builders from the same objects (10,000 ClusterIP services with
// two named ports, 1,000 headless services × 20 named endpoints, 20,000 pods over 50 namespaces, the
// kubernetes service and dns-version: 120,004 keys), each key also seen in etcd. Prints the heap and
// ArrayBuffer bytes the table holds per key after a full GC, then how fast it does what the reconciler
// asks of it (best of 5 runs each). Usage: node --expose-gc --import tsx e2e/bench/scale/record-table-memory.ts
// (kube2sky built first: `npx tsc -b`).
import {
  abbreviationsFor,
  podRecords,
  type RecordContext,
  RecordTable,
  serviceRecords,
  valueHash,
  versionRecords,
} from '@kube-dns-legacy/kube2sky';
import { fmt, int } from '../lib/stats.js';
import { podIp } from './populate.js';

const ctx: RecordContext = { domain: 'cluster.local.', prefix: 'skydns' };
const NAMESPACES = 50;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** The objects of the scale benchmark as kube2sky's informers hand them over: owner id and records. */
function* objects(): Generator<[string, Map<string, string>]> {
  const port = (name: string, number: number) => ({ name, port: number, protocol: 'TCP' });
  yield ['dns-version', versionRecords(ctx).records];
  const kubernetes = { metadata: { name: 'kubernetes', namespace: 'default' } };
  yield [
    'svc/default/kubernetes',
    serviceRecords(ctx, { ...kubernetes, spec: { clusterIP: '10.96.0.1', ports: [port('https', 443)] } }, undefined)
      .records,
  ];
  for (let i = 0; i < 10_000; i++) {
    const metadata = { name: `svc-${i}`, namespace: `scale-${i % NAMESPACES}` };
    const clusterIP = `10.96.${((i + 10) >> 8) & 255}.${(i + 10) & 255}`;
    const spec = { clusterIP, ports: [port('http', 80), port('grpc', 9090)] };
    yield [`svc/${metadata.namespace}/${metadata.name}`, serviceRecords(ctx, { metadata, spec }, undefined).records];
  }
  for (let i = 0; i < 1_000; i++) {
    const metadata = { name: `hl-${i}`, namespace: `scale-${i % NAMESPACES}` };
    const ports = [port('http', 8080)];
    const addresses = Array.from({ length: 20 }, (_, k) => ({ ip: podIp(i * 20 + k), hostname: `web-${k}` }));
    const ready = { groups: [{ addresses, ports }], warnings: [] };
    yield [
      `svc/${metadata.namespace}/${metadata.name}`,
      serviceRecords(ctx, { metadata, spec: { clusterIP: 'None', ports } }, ready).records,
    ];
  }
  for (let i = 0; i < 20_000; i++) {
    const metadata = { name: `pod-${i}`, namespace: `scale-${i % NAMESPACES}` };
    const status = { phase: 'Running', podIP: podIp(i), podIPs: [{ ip: podIp(i) }] };
    yield [`pod/${metadata.namespace}/${metadata.name}`, podRecords(ctx, { metadata, status }).records];
  }
}

/** V8 heap used plus ArrayBuffer backing stores, after full GCs. */
function heapBytes(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

// Memory: the table alone, its inputs made on the fly and dropped (as the informers hand them over).
const before = heapBytes();
let filled: RecordTable | undefined = new RecordTable(abbreviationsFor(ctx));
let keys = 0;
for (const [owner, records] of objects()) {
  filled.set(owner, records);
  keys += records.size;
}
// etcd's keys come from the store as fresh strings.
for (const [, records] of objects())
  for (const [key, value] of records) filled.observe(Buffer.from(key).toString(), valueHash(value));
const held = heapBytes() - before;
console.log(
  `${int(keys)} keys (${int(filled.size)} wanted): ${fmt(held / 2 ** 20, 1)} MiB of heap and ArrayBuffers, ${fmt(held / keys, 1)} bytes per key`,
);
filled = undefined;

// Speed. Every run gets inputs made afresh, as in kube2sky, where each update brings newly built strings
// and each read of etcd new keys (V8 caches a string's hash in the string: reused inputs would flatter
// a Map-based table).
type Inputs = Array<[string, Map<string, string>]>;
const fresh = (): Inputs => [...objects()];
const changed = (inputs: Inputs): Inputs =>
  inputs.map(([owner, records]) => [
    owner,
    new Map([...records].map(([key, value]) => [key, value.replace('"host":"', '"host":"x')])),
  ]);
const etcdKeys = (): Array<[string, number]> =>
  fresh().flatMap(([, records]) =>
    [...records].map(([key, value]): [string, number] => [Buffer.from(key).toString(), valueHash(value)]),
  );

function time<T>(label: string, ops: number, prepare: () => T, run: (input: T) => void): void {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const input = prepare();
    const start = performance.now();
    run(input);
    best = Math.min(best, performance.now() - start);
  }
  console.log(`${label}: ${fmt(ops / best / 1000, 2)} M ops/s (${fmt(best, 1)} ms for ${int(ops)})`);
}

let table = new RecordTable(abbreviationsFor(ctx));
time('set, a new table filled', keys, fresh, (inputs) => {
  table = new RecordTable(abbreviationsFor(ctx));
  for (const [owner, records] of inputs) table.set(owner, records);
});
time('set, nothing changed', keys, fresh, (inputs) => {
  for (const [owner, records] of inputs) table.set(owner, records);
});
time(
  'set, every value changed and back',
  2 * keys,
  (): [Inputs, Inputs] => {
    const inputs = fresh();
    return [changed(inputs), inputs];
  },
  ([there, back]) => {
    for (const [owner, records] of there) table.set(owner, records);
    for (const [owner, records] of back) table.set(owner, records);
  },
);
time('forgetEtcd and observe every key', keys, etcdKeys, (etcd) => {
  table.forgetEtcd();
  for (const [key, hash] of etcd) table.observe(key, hash);
});
let differing = 0;
time(
  "the reconciler's compare pass (full diff)",
  keys,
  () => undefined,
  () => {
    differing = 0;
    for (const slot of table.slots()) {
      const want = table.wantedHash(slot);
      const have = table.have(slot);
      if (want !== undefined && want !== have) differing += table.wantedValue(slot) === undefined ? 0 : 1;
      else if (want === undefined && have !== undefined) differing++;
      else table.prune(slot);
    }
  },
);
if (differing !== 0) throw new Error(`${differing} keys differ from etcd after observing them all`);
time(
  'delete every owner and set it again',
  2 * keys,
  (): [Inputs, Inputs] => [fresh(), fresh()],
  ([gone, back]) => {
    for (const [owner] of gone) table.delete(owner);
    for (const [owner, records] of back) table.set(owner, records);
  },
);
