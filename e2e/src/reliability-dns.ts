import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

// A small DNS wire client written for the reliability tests: independent of skydns's codec, so a bug
// there cannot hide behind the same bug here.

/** Question types the tests ask for. */
export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;

/** Response codes by number. */
export const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

/** One answer record, with the data decoded for A, AAAA-less types as text. */
export interface WireRecord {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  /** A: the dotted address; CNAME/PTR: the target name (lower case, trailing dot); others: hex. */
  readonly data: string;
}

/** A decoded reply. */
export interface WireReply {
  readonly id: number;
  readonly rcode: string;
  readonly truncated: boolean;
  /** AA: the server is authoritative for the answer. */
  readonly authoritative: boolean;
  /** RA: the server offers recursion. */
  readonly recursionAvailable: boolean;
  readonly answers: readonly WireRecord[];
  readonly authority: readonly WireRecord[];
  /** The additional section without the OPT record. */
  readonly additional: readonly WireRecord[];
  /** True when the reply carries an EDNS0 OPT record. */
  readonly edns: boolean;
  readonly size: number;
}

/** The wire form of a name (`a.b.` → 1 a 1 b 0). */
export function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l !== '');
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
}

/** A standard query (RD set); with `udpSize` an EDNS0 OPT record advertising that size is added. */
export function encodeQuery(id: number, name: string, type: number, udpSize?: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(udpSize === undefined ? 0 : 1, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(type, 0);
  question.writeUInt16BE(1, 2);
  const parts = [header, encodeName(name), question];
  if (udpSize !== undefined) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(QTYPE.OPT, 1);
    opt.writeUInt16BE(udpSize, 3);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

/** Read a (possibly compressed) name at `offset`; returns the name and the offset after it in place. */
function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = buf.readUInt8(pos);
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`.toLowerCase(), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = pos + 2;
      pos = buf.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    if (pos + 1 + len > buf.length) throw new Error('label past the end');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error('compression loop');
}

/** The RDATA of a record as text: addresses, names, SRV and SOA fields; hex for other types. */
function rdataText(buf: Buffer, type: number, start: number, rdlen: number): string {
  if (type === QTYPE.A && rdlen === 4) return [...buf.subarray(start, start + 4)].join('.');
  if (type === QTYPE.AAAA && rdlen === 16) {
    // The URL parser writes IPv6 addresses in their canonical (RFC 5952) form.
    const words = Array.from({ length: 8 }, (_, k) => buf.readUInt16BE(start + 2 * k).toString(16));
    return new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1);
  }
  if (type === QTYPE.CNAME || type === QTYPE.PTR || type === QTYPE.NS) return readName(buf, start).name;
  if (type === QTYPE.SRV)
    return `${buf.readUInt16BE(start)} ${buf.readUInt16BE(start + 2)} ${buf.readUInt16BE(start + 4)} ${readName(buf, start + 6).name}`;
  if (type === QTYPE.SOA) {
    const mname = readName(buf, start);
    const rname = readName(buf, mname.next);
    const n = (i: number): number => buf.readUInt32BE(rname.next + 4 * i);
    return `${mname.name} ${rname.name} ${n(0)} ${n(1)} ${n(2)} ${n(3)} ${n(4)}`;
  }
  if (type === QTYPE.TXT) {
    const strings: string[] = [];
    for (let pos = start; pos < start + rdlen; pos += 1 + (buf[pos] ?? 0))
      strings.push(JSON.stringify(buf.toString('latin1', pos + 1, pos + 1 + (buf[pos] ?? 0))));
    return strings.join(' ');
  }
  return buf.toString('hex', start, start + rdlen);
}

/** Decode a reply: header flags and every section; throws on malformed replies. */
export function decodeReply(buf: Buffer): WireReply {
  if (buf.length < 12) throw new Error(`reply of ${buf.length} bytes`);
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let pos = 12;
  for (let i = 0; i < buf.readUInt16BE(4); i++) pos = readName(buf, pos).next + 4;
  const sections: WireRecord[][] = [[], [], []];
  let edns = false;
  for (const [section, count] of counts.entries()) {
    for (let i = 0; i < (count ?? 0); i++) {
      const owner = readName(buf, pos);
      pos = owner.next;
      const type = buf.readUInt16BE(pos);
      const ttl = buf.readUInt32BE(pos + 4);
      const rdlen = buf.readUInt16BE(pos + 8);
      const start = pos + 10;
      if (start + rdlen > buf.length) throw new Error('rdata past the end');
      pos = start + rdlen;
      if (type === QTYPE.OPT) {
        edns = true;
        continue;
      }
      sections[section]?.push({ name: owner.name, type, ttl, data: rdataText(buf, type, start, rdlen) });
    }
  }
  return {
    id: buf.readUInt16BE(0),
    rcode: RCODE_NAMES[flags & 0xf] ?? `RCODE${flags & 0xf}`,
    truncated: (flags & 0x0200) !== 0,
    authoritative: (flags & 0x0400) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    answers: sections[0] ?? [],
    authority: sections[1] ?? [],
    additional: sections[2] ?? [],
    edns,
    size: buf.length,
  };
}

let nextId = 1;

/** Ask one question over UDP (from the loopback address `source`, when given); rejects after `timeoutMs` without a reply with the same ID. */
export async function udpQuery(
  port: number,
  name: string,
  type: number = QTYPE.A,
  timeoutMs = 2_000,
  udpSize?: number,
  source?: string,
): Promise<WireReply> {
  const id = (nextId = (nextId + 1) & 0xffff);
  const socket = createSocket('udp4');
  try {
    if (source !== undefined) await new Promise<void>((resolve) => socket.bind(0, source, resolve));
    return await new Promise<WireReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no UDP reply for ${name} within ${timeoutMs} ms`)), timeoutMs);
      socket.on('error', reject);
      socket.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) {
          clearTimeout(timer);
          try {
            resolve(decodeReply(msg));
          } catch (err) {
            reject(err as Error);
          }
        }
      });
      socket.send(encodeQuery(id, name, type, udpSize), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Ask one question over a new TCP connection (length-prefixed, from `source` when given); rejects after `timeoutMs`. */
export async function tcpQuery(
  port: number,
  name: string,
  type: number = QTYPE.A,
  timeoutMs = 5_000,
  udpSize?: number,
  source?: string,
): Promise<WireReply> {
  const id = (nextId = (nextId + 1) & 0xffff);
  const query = encodeQuery(id, name, type, udpSize);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(query.length);
  return new Promise<WireReply>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: source });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP reply for ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('connect', () => socket.write(Buffer.concat([prefix, query])));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        try {
          resolve(decodeReply(data.subarray(2, 2 + data.readUInt16BE(0))));
        } catch (err) {
          reject(err as Error);
        }
      }
    });
  });
}

/** A tiny upstream DNS server on loopback UDP that answers every A question with 192.0.2.1 (TTL 60). */
export async function startUpstream(port: number): Promise<{ queries: number; close(): void }> {
  const socket = createSocket('udp4');
  const state = {
    queries: 0,
    close: (): void => {
      socket.close();
    },
  };
  socket.on('message', (msg, peer) => {
    if (msg.length < 12) return;
    state.queries++;
    let end = 12;
    while (end < msg.length && msg[end] !== 0) end += 1 + (msg[end] ?? 0);
    const question = msg.subarray(12, end + 5);
    const header = Buffer.from(msg.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(1, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    socket.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', resolve);
  });
  return state;
}
