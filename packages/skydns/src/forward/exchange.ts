import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP, connect } from 'node:net';
import dns2 from 'dns2';
import { FLAG, HEADER_SIZE, TYPE } from '../dns-codes.js';
import { withId } from '../encode.js';
import type { Rr } from '../rr.js';
import type { Upstream } from './upstream.js';

function validReply(reply: Buffer, id: number): boolean {
  return reply.length >= HEADER_SIZE && reply.readUInt16BE(0) === id && (reply.readUInt16BE(2) & FLAG.QR) !== 0;
}

/** One UDP exchange: send, wait for the reply with our ID from that server, or fail after `timeoutMs`. */
function exchangeUdp(server: Upstream, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  const id = randomInt(0x10000);
  const query = withId(msg, id);
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (err !== undefined || reply === undefined) reject(err ?? new Error('no reply'));
      else resolve(reply);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${server.host}:${server.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => finish(err));
    socket.on('message', (reply, rinfo) => {
      if (rinfo.port !== server.port || !validReply(reply, id)) return;
      finish(undefined, reply);
    });
    socket.send(query, server.port, server.host, (err) => {
      if (err) finish(err);
    });
  });
}

/** One TCP exchange: connect, send length-prefixed, read one length-prefixed reply, within `timeoutMs`. */
function exchangeTcp(server: Upstream, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  const id = randomInt(0x10000);
  const query = withId(msg, id);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let data = Buffer.alloc(0);
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => undefined);
      socket.destroy();
      if (err !== undefined || reply === undefined) reject(err ?? new Error('no reply'));
      else resolve(reply);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${server.host}:${server.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`${server.host}:${server.port} closed the connection`)));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 2) return;
      const size = data.readUInt16BE(0);
      if (data.length < 2 + size) return;
      const reply = data.subarray(2, 2 + size);
      if (!validReply(reply, id)) finish(new Error('reply ID or QR bit does not match'));
      else finish(undefined, Buffer.from(reply));
    });
  });
}

/** Forwarding settings. */
export interface ForwardOptions {
  /** Upstream servers, in order. */
  readonly servers: readonly Upstream[];
  /** Start at a server chosen by the query ID instead of the first. */
  readonly rotate: boolean;
  /** Per-try timeout in ms (`-rtimeout`). */
  readonly timeoutMs: number;
}

/** The outcome of forwarding one query. */
export interface Forwarded {
  /** The upstream reply with the client's ID, or undefined when every server failed. */
  readonly reply: Buffer | undefined;
  /** The server that answered. */
  readonly server: Upstream | undefined;
  /** Errors from the servers that failed, in order. */
  readonly errors: string[];
}

/**
 * Send the client's message unchanged (but for a fresh random ID) to the upstream servers over
 * the client's transport: the first (or, with rotation, the ID's) server first, the next one on
 * failure; the reply gets the client's ID back.
 */
export async function forwardQuery(options: ForwardOptions, msg: Buffer, tcp: boolean): Promise<Forwarded> {
  const n = options.servers.length;
  const id = msg.readUInt16BE(0);
  const start = options.rotate && n > 0 ? id % n : 0;
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const server = options.servers[(start + i) % n] as Upstream;
    try {
      const reply = await (tcp ? exchangeTcp : exchangeUdp)(server, msg, options.timeoutMs);
      return { reply: withId(reply, id), server, errors };
    } catch (err) {
      errors.push(`${server.host}:${server.port}: ${(err as Error).message}`);
    }
  }
  return { reply: undefined, server: undefined, errors };
}

/**
 * Addresses for a CNAME target outside the domain, asked upstream with the dns2 client (UDP, RD=1),
 * TTLs set to `ttl` (SkyDNS: `rcache_ttl`): empty when the target has none of that type (NOERROR);
 * undefined when every server fails or answers with an error code such as NXDOMAIN (SkyDNS's
 * "incomplete CNAME chain").
 */
export async function lookupExternal(
  options: ForwardOptions,
  name: string,
  type: 'A' | 'AAAA',
  ttl: number,
): Promise<Rr[] | undefined> {
  for (const server of options.servers) {
    try {
      const resolve = dns2.UDPClient({
        dns: server.host,
        port: server.port,
        timeout: options.timeoutMs,
        socketType: isIP(server.host) === 6 ? 'udp6' : 'udp4',
      });
      const reply = await resolve(name, type);
      if (reply.header.rcode !== 0) continue;
      const out: Rr[] = [];
      for (const answer of reply.answers as unknown as Array<Record<string, unknown>>) {
        const owner = `${String(answer.name)}.`;
        if (answer.type === TYPE.A || answer.type === TYPE.AAAA) {
          out.push({ name: owner, ttl, type: answer.type === TYPE.A ? 'A' : 'AAAA', address: String(answer.address) });
        } else if (answer.type === TYPE.CNAME) {
          out.push({ name: owner, ttl, type: 'CNAME', target: `${String(answer.domain)}.` });
        }
      }
      return out;
    } catch {
      // next server
    }
  }
  return undefined;
}
