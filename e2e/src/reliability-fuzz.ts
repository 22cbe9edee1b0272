import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManagedProcess } from '@kube-dns-legacy/testkit';
import { rng } from './reliability-churn.js';
import { QTYPE, decodeReply, encodeName, encodeQuery } from './reliability-dns.js';
import { repoRoot } from './pod.js';

/** Where packets that made skydns fail are kept; the fuzz test replays every file here first. */
export const REGRESSIONS = join(repoRoot, 'e2e', 'fixtures', 'regressions');

/** A question with its one correct answer (as `decodeReply` renders the answer data). */
export interface Probe {
  readonly name: string;
  readonly type: number;
  readonly answer: string;
}

const TEMPLATE_NAMES = [
  'kubernetes.default.svc.cluster.local.',
  'big.default.svc.cluster.local.',
  '_https._tcp.kubernetes.default.svc.cluster.local.',
  '1.0.0.10.in-addr.arpa.',
  'cluster.local.',
  'nope.cluster.local.',
];
const TEMPLATE_TYPES = [QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.PTR, QTYPE.TXT, QTYPE.SOA, QTYPE.NS, QTYPE.ANY, 0, 65535];

/** Names of the mutation kinds, for counting. */
export const KINDS = [
  'random',
  'truncated',
  'pointer-loop',
  'huge-counts',
  'bad-label-length',
  'bad-edns',
  'bit-flips',
  'response',
  'many-questions',
  'long-name',
  'odd-header',
  'valid-edns',
] as const;
/** One mutation kind. */
export type FuzzKind = (typeof KINDS)[number];

/** Seeded generator of hostile DNS packets: random bytes and mutations of valid queries. */
export class PacketFuzzer {
  readonly counts = new Map<FuzzKind, number>(KINDS.map((k) => [k, 0]));
  private readonly random: () => number;

  constructor(readonly seed: number) {
    this.random = rng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A valid query to mutate (sometimes with EDNS0). */
  private template(): Buffer {
    const name = TEMPLATE_NAMES[this.int(TEMPLATE_NAMES.length)] ?? '.';
    const type = TEMPLATE_TYPES[this.int(TEMPLATE_TYPES.length)] ?? 1;
    return encodeQuery(this.int(65536), name, type, this.random() < 0.5 ? 512 + this.int(4096) : undefined);
  }

  /** An OPT record with hostile contents. */
  private badOpt(): Buffer {
    const choice = this.int(5);
    const options = this.bytes(this.int(40));
    const rdata =
      choice === 0
        ? Buffer.concat([Buffer.from([0, 10, 0xff, 0xff]), options]) // option length past the end
        : choice === 1
          ? Buffer.from([0, 8, 0, 1, 2]) // option header cut short
          : options;
    const opt = Buffer.alloc(11);
    if (choice === 3) opt[0] = 0xc0; // a non-root owner (a pointer)
    opt.writeUInt16BE(QTYPE.OPT, 1);
    opt.writeUInt16BE(choice === 4 ? 0 : this.int(65536), 3);
    opt.writeUInt32BE(this.int(2 ** 32), 5); // extended rcode, version, DO and Z bits
    opt.writeUInt16BE(choice === 2 ? rdata.length + 1 + this.int(500) : rdata.length, 9); // rdlength lies
    return Buffer.concat([opt, rdata]);
  }

  /** The next hostile packet. */
  next(): { kind: FuzzKind; packet: Buffer } {
    const kind = KINDS[this.int(KINDS.length)] ?? 'random';
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    return { kind, packet: this.make(kind) };
  }

  private make(kind: FuzzKind): Buffer {
    const q = this.template();
    switch (kind) {
      case 'random':
        return this.bytes(this.int(this.random() < 0.2 ? 12 : 700));
      case 'truncated':
        return q.subarray(0, this.int(q.length));
      case 'pointer-loop': {
        // The question name points at itself, or two pointers point at each other, or a pointer points forward past the end.
        const header = Buffer.from(q.subarray(0, 12));
        header.writeUInt16BE(1, 4);
        header.writeUInt16BE(0, 10);
        const loops = [
          Buffer.from([0xc0, 12]),
          Buffer.from([0xc0, 14, 0xc0, 12]),
          Buffer.from([1, 0x61, 0xc0, 12]),
          Buffer.from([0xc0 | this.int(64), this.int(256)]),
        ];
        return Buffer.concat([header, loops[this.int(loops.length)] ?? Buffer.alloc(0), Buffer.from([0, 1, 0, 1])]);
      }
      case 'huge-counts': {
        const out = Buffer.from(q);
        for (const at of [4, 6, 8, 10])
          if (this.random() < 0.6) out.writeUInt16BE(this.random() < 0.5 ? 65535 : this.int(65536), at);
        return out;
      }
      case 'bad-label-length': {
        const out = Buffer.from(q);
        const at = 12 + this.int(Math.max(1, out.length - 16));
        out[at] = [63, 64, 0x40 | this.int(64), 0x80 | this.int(64), 255][this.int(5)] ?? 63;
        return out;
      }
      case 'bad-edns': {
        const base = encodeQuery(this.int(65536), TEMPLATE_NAMES[this.int(3)] ?? '.', QTYPE.A);
        const header = Buffer.from(base.subarray(0, 12));
        const opts = this.int(3) + 1;
        header.writeUInt16BE(opts, 10);
        return Buffer.concat([header, base.subarray(12), ...Array.from({ length: opts }, () => this.badOpt())]);
      }
      case 'bit-flips': {
        const out = Buffer.from(q);
        for (let i = 1 + this.int(8); i > 0; i--) {
          const at = this.int(out.length);
          out[at] = (out[at] ?? 0) ^ (1 << this.int(8));
        }
        return out;
      }
      case 'response': {
        const out = Buffer.from(q);
        out[2] = (out[2] ?? 0) | 0x80;
        return out;
      }
      case 'many-questions': {
        const count = 2 + this.int(200);
        const header = Buffer.from(q.subarray(0, 12));
        header.writeUInt16BE(count, 4);
        header.writeUInt16BE(0, 10);
        const question = Buffer.concat([
          encodeName(TEMPLATE_NAMES[this.int(TEMPLATE_NAMES.length)] ?? '.'),
          Buffer.from([0, 1, 0, 1]),
        ]);
        return Buffer.concat([header, ...Array.from({ length: count }, () => question)]);
      }
      case 'long-name': {
        // Names over 255 bytes, labels of 63, and binary label contents.
        const label = (): Buffer => {
          const len = 1 + this.int(63);
          return Buffer.concat([Buffer.from([len]), this.random() < 0.5 ? Buffer.alloc(len, 0x61) : this.bytes(len)]);
        };
        const name = Buffer.concat([
          ...Array.from({ length: 2 + this.int(12) }, label),
          encodeName('svc.cluster.local.'),
        ]);
        return Buffer.concat([
          q.subarray(0, 12).fill(0, 10, 12),
          name,
          Buffer.from([0, this.int(256), 0, this.random() < 0.8 ? 1 : this.int(256)]),
        ]);
      }
      case 'odd-header': {
        const out = Buffer.from(q);
        out[2] = this.int(256) & 0x7f;
        out[3] = this.int(256);
        return out;
      }
      case 'valid-edns':
        return encodeQuery(
          this.int(65536),
          TEMPLATE_NAMES[this.int(TEMPLATE_NAMES.length)] ?? '.',
          TEMPLATE_TYPES[this.int(TEMPLATE_TYPES.length)] ?? 1,
          512 + this.int(65024),
        );
    }
  }
}

/** Anything that hands out packets to send (the fuzzer, or a replay of kept packets). */
export interface PacketSource {
  next(): { packet: Buffer };
}

/** What one fuzz run did. */
export interface FuzzResult {
  sent: number;
  udp: number;
  tcp: number;
  validAnswered: number;
  wrong: string[];
  replies: number;
  tcpClosedByServer: number;
  /** Valid UDP questions that had to be asked twice. */
  udpRetries: number;
  elapsedMs: number;
}

/** One valid question whose answer is checked, over UDP; resolves with a problem or undefined. */
async function checkUdp(
  socket: ReturnType<typeof createSocket>,
  port: number,
  probe: Probe,
  id: number,
  waiters: Map<number, (b: Buffer) => void>,
): Promise<string | undefined> {
  const mixedCase = probe.name.replace(/[a-z]/g, (c) => (id % 2 === 0 ? c.toUpperCase() : c));
  const reply = await new Promise<Buffer | undefined>((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(id);
      resolve(undefined);
    }, 3_000);
    waiters.set(id, (b) => {
      clearTimeout(timer);
      resolve(b);
    });
    socket.send(encodeQuery(id, mixedCase, probe.type), port, '127.0.0.1');
  });
  if (reply === undefined) return `udp ${probe.name}: no answer within 3 s`;
  return judge(reply, probe);
}

function judge(reply: Buffer, probe: Probe): string | undefined {
  try {
    const decoded = decodeReply(reply);
    const got = decoded.answers.map((a) => a.data).join(',');
    return decoded.rcode === 'NOERROR' && got === probe.answer ? undefined : `${probe.name}: ${decoded.rcode} ${got}`;
  } catch (err) {
    return `${probe.name}: undecodable reply (${(err as Error).message})`;
  }
}

/** Frame a message for DNS over TCP. */
function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length & 0xffff);
  return Buffer.concat([prefix, message]);
}

/** Write fuzz frames then one valid query on a TCP connection; returns a problem, 'closed' or undefined. */
async function tcpBatch(
  port: number,
  packets: readonly Buffer[],
  probe: Probe,
  id: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (result: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(`tcp ${probe.name}: no answer within 5 s`), 5_000);
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('connect', () => {
      // Hostile frames whose length prefix is right; garbage inside. A lying prefix would only stall this connection.
      socket.write(Buffer.concat([...packets.map(frame), frame(encodeQuery(id, probe.name, probe.type))]));
    });
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const message = data.subarray(2, 2 + data.readUInt16BE(0));
        data = data.subarray(2 + message.length);
        if (message.length >= 2 && message.readUInt16BE(0) === id) finish(judge(Buffer.from(message), probe));
      }
    });
  });
}

/**
 * Send `total` hostile packets to skydns (every `tcpEvery`th batch over TCP, the rest UDP), with a valid question from `probes`
 * after every `batch` packets whose answer must be right. Stops early after `maxProblems` wrong answers.
 */
export async function fuzz(
  port: number,
  fuzzer: PacketSource,
  probes: readonly Probe[],
  total: number,
  batch = 200,
  onProblem?: (problem: string, recent: readonly Buffer[]) => Promise<void>,
  tcpEvery = 10,
): Promise<FuzzResult> {
  const started = Date.now();
  const result: FuzzResult = {
    sent: 0,
    udp: 0,
    tcp: 0,
    validAnswered: 0,
    wrong: [],
    replies: 0,
    tcpClosedByServer: 0,
    udpRetries: 0,
    elapsedMs: 0,
  };
  const socket = createSocket('udp4');
  const waiters = new Map<number, (b: Buffer) => void>();
  socket.on('message', (msg) => {
    result.replies++;
    const id = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
    const waiter = waiters.get(id);
    if (waiter && msg.length > 12 && (msg[2] ?? 0) & 0x80) {
      waiters.delete(id);
      waiter(msg);
    }
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  let round = 0;
  try {
    while (result.sent < total && result.wrong.length < 5) {
      round++;
      const probe = probes[round % probes.length] ?? probes[0];
      if (probe === undefined) throw new Error('no probes');
      // Valid-question IDs live in 0xf000-0xffff; fuzz packets keep their random IDs (collisions are told apart by the QR bit and the answer check).
      const id = 0xf000 | (round & 0x0fff);
      const packets = Array.from({ length: Math.min(batch, total - result.sent) }, () => fuzzer.next().packet);
      for (const packet of packets)
        if (packet.length >= 2 && packet.readUInt16BE(0) >= 0xf000)
          packet.writeUInt16BE(packet.readUInt16BE(0) & 0x0fff, 0);
      let problem: string | undefined;
      if (round % tcpEvery === 0) {
        problem = await tcpBatch(port, packets.slice(0, 50), probe, id);
        result.tcp += Math.min(50, packets.length);
        result.sent += Math.min(50, packets.length);
        if (problem === 'closed') {
          // The server may hang up on garbage; the next connection must still be served.
          result.tcpClosedByServer++;
          problem = await tcpBatch(port, [], probe, id);
        }
      } else {
        // Paced in small bursts: a burst larger than the server's socket buffer would only measure the kernel dropping packets.
        for (let i = 0; i < packets.length; i += 25) {
          for (const packet of packets.slice(i, i + 25)) socket.send(packet, port, '127.0.0.1');
          await new Promise((r) => setTimeout(r, 1));
        }
        result.udp += packets.length;
        result.sent += packets.length;
        problem = await checkUdp(socket, port, probe, id, waiters);
        if (problem?.includes('no answer') === true) {
          // UDP may drop under load; a client asks again. Count it, and the second try must be answered.
          result.udpRetries++;
          problem = await checkUdp(socket, port, probe, id, waiters);
        }
      }
      if (problem === undefined) result.validAnswered++;
      else {
        result.wrong.push(problem);
        await onProblem?.(problem, packets);
      }
    }
  } finally {
    socket.close();
  }
  result.elapsedMs = Date.now() - started;
  return result;
}

/** Keep the packets sent just before a failure as a regression seed (one hex packet per line). */
export async function keepRegression(seed: number, problem: string, packets: readonly Buffer[]): Promise<string> {
  await mkdir(REGRESSIONS, { recursive: true });
  const file = join(REGRESSIONS, `fuzz-${seed}-${Date.now()}.hex`);
  await writeFile(file, `# ${problem.replaceAll('\n', ' ')}\n${packets.map((p) => p.toString('hex')).join('\n')}\n`);
  return file;
}

// The stall probe runs in its own process, so the test's own work cannot delay it: every 10 ms it
// asks one question and records how long the reply took; on SIGTERM it prints a JSON summary.
const PROBE_SCRIPT = `
const dgram = require('node:dgram');
const port = Number(process.argv[1]);
const query = Buffer.from(process.argv[2], 'hex');
const socket = dgram.createSocket('udp4');
const pending = new Map();
let id = 0, sent = 0, answered = 0, max = 0, lost = 0;
const late = [];
socket.on('message', (msg) => {
  const at = pending.get(msg.readUInt16BE(0));
  if (at === undefined) return;
  pending.delete(msg.readUInt16BE(0));
  answered++;
  const ms = Number(process.hrtime.bigint() - at) / 1e6;
  if (ms > max) max = ms;
  if (ms > 100) late.push(Math.round(ms));
});
const timer = setInterval(() => {
  const now = process.hrtime.bigint();
  for (const [k, at] of pending) if (Number(now - at) / 1e6 > 2000) { pending.delete(k); lost++; }
  id = (id + 1) & 0xffff;
  // A copy per packet: dgram may send after the next tick has already written the next ID.
  const packet = Buffer.from(query);
  packet.writeUInt16BE(id, 0);
  pending.set(id, now);
  sent++;
  socket.send(packet, port, '127.0.0.1');
}, 10);
process.on('SIGTERM', () => {
  clearInterval(timer);
  // Questions still in flight get the same 2 s as the others before they count as lost.
  const started = Date.now();
  const done = setInterval(() => {
    if (pending.size > 0 && Date.now() - started < 2000) return;
    clearInterval(done);
    process.stdout.write(JSON.stringify({ sent, answered, lost: lost + pending.size, maxMs: Math.round(max * 10) / 10, over100ms: late.length }) + '\\n', () => process.exit(0));
  }, 10);
});
console.log('probing');
`;

// The control measures its own event-loop delay while idle, at skydns's priority: what the machine's
// scheduler alone does to a Node process on this shared, loaded machine during the same window.
const CONTROL_SCRIPT = `
const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 });
h.enable();
const keep = setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  clearInterval(keep);
  process.stdout.write(JSON.stringify({ maxMs: Math.round(h.max / 1e5) / 10 }) + '\\n', () => process.exit(0));
});
console.log('measuring');
`;

/** Start the control process (nice -15 like the measured skydns); `stop()` resolves with its largest event-loop delay in ms. */
export async function startControl(): Promise<{ stop(): Promise<number> }> {
  const proc = new ManagedProcess('lag control', 'nice', ['-n', '-15', process.execPath, '-e', CONTROL_SCRIPT]);
  await proc.waitForOutput(/measuring/);
  return {
    async stop(): Promise<number> {
      await proc.stop('SIGTERM');
      const line = proc.output.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) throw new Error(`lag control printed no summary: ${proc.output}`);
      return (JSON.parse(line) as { maxMs: number }).maxMs;
    },
  };
}

/** Summary printed by the stall probe. */
export interface StallSummary {
  sent: number;
  answered: number;
  lost: number;
  maxMs: number;
  over100ms: number;
}

/** Start the stall probe against a DNS port (asks `name` A every 10 ms from a separate process). */
export async function startStallProbe(port: number, name: string): Promise<{ stop(): Promise<StallSummary> }> {
  const proc = new ManagedProcess('stall probe', process.execPath, [
    '-e',
    PROBE_SCRIPT,
    String(port),
    encodeQuery(0, name, QTYPE.A).toString('hex'),
  ]);
  await proc.waitForOutput(/probing/);
  return {
    async stop(): Promise<StallSummary> {
      await proc.stop('SIGTERM');
      const line = proc.output.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) throw new Error(`stall probe printed no summary: ${proc.output}`);
      return JSON.parse(line) as StallSummary;
    },
  };
}
