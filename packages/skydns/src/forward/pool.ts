import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { BlockList, connect, isIP } from 'node:net';
import { FLAG, HEADER_SIZE } from '../dns-codes.js';
import { withId } from '../encode.js';
import { questionEndOf } from '../wire.js';
import type { Upstream } from './upstream.js';

/** Limits of the upstream pool. */
export interface PoolLimits {
  /** UDP sockets per address family, opened as needed and reused (each a random source port). */
  readonly udpSockets: number;
  /** Questions waiting for an upstream reply at once, UDP and TCP together; more fail at once. */
  readonly maxInFlight: number;
  /** TCP connections to upstream servers at once; more fail at once. */
  readonly maxTcp: number;
}

/** Defaults: a few descriptors whatever the query rate (the process limit is usually 1,024 or more). */
const POOL_LIMITS: PoolLimits = Object.freeze({ udpSockets: 8, maxInFlight: 1000, maxTcp: 64 });

/** Why a datagram that reached an upstream socket was not taken as a reply. */
export type Discard = 'unexpected-id' | 'wrong-source' | 'wrong-question' | 'not-a-reply';

interface Pending {
  readonly server: Upstream;
  readonly query: Buffer;
  readonly finish: (err: Error | undefined, reply?: Buffer) => void;
}

interface UdpSlot {
  readonly socket: Socket;
  readonly pending: Map<number, Pending>;
}

/** True when `reply` is a response (QR) with `id` whose question is the query's (name compared case-insensitively). */
function answersQuery(reply: Buffer, query: Buffer): boolean {
  if (reply.length < HEADER_SIZE || reply.readUInt16BE(0) !== query.readUInt16BE(0)) return false;
  if ((reply.readUInt16BE(2) & FLAG.QR) === 0) return false;
  const end = questionEndOf(query);
  if (end < 0 || questionEndOf(reply) !== end) return false;
  for (let i = HEADER_SIZE; i < end; i++) {
    let a = reply[i] as number;
    let b = query[i] as number;
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}

const v6Hosts = new Map<string, BlockList>();

/** True when `address` (as the socket reports it) is the server's host. */
function sameHost(server: Upstream, address: string): boolean {
  if (address === server.host) return true;
  if (isIP(server.host) !== 6 || isIP(address) !== 6) return false;
  let list = v6Hosts.get(server.host);
  if (list === undefined) {
    if (v6Hosts.size > 64) v6Hosts.clear();
    list = new BlockList();
    list.addAddress(server.host, 'ipv6');
    v6Hosts.set(server.host, list);
  }
  return list.check(address, 'ipv6');
}

/**
 * The sockets skydns talks to upstream servers through: a few shared UDP sockets whose replies
 * are matched by ID, source address and port, and question (anything else is discarded and
 * counted), and a bounded number of TCP connections. Descriptors stay bounded whatever the query
 * rate; past the limits a question fails at once instead of queueing.
 */
export class UpstreamPool {
  private readonly slots: { 4: UdpSlot[]; 6: UdpSlot[] } = { 4: [], 6: [] };
  private inFlight = 0;
  private tcpOpen = 0;

  constructor(
    private readonly limits: PoolLimits = POOL_LIMITS,
    private readonly onDiscard: (why: Discard) => void = () => undefined,
  ) {}

  /** Send `msg` (under a fresh random ID) to `server`; the reply (with that ID) or an error after `timeoutMs`. */
  exchange(server: Upstream, msg: Buffer, tcp: boolean, timeoutMs: number): Promise<Buffer> {
    if (this.inFlight >= this.limits.maxInFlight)
      return Promise.reject(new Error(`${this.inFlight} questions already in flight upstream`));
    if (tcp && this.tcpOpen >= this.limits.maxTcp)
      return Promise.reject(new Error(`${this.tcpOpen} upstream TCP connections already open`));
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
    };
    const exchanged = tcp ? this.exchangeTcp(server, msg, timeoutMs) : this.exchangeUdp(server, msg, timeoutMs);
    return exchanged.finally(done);
  }

  /** Close every socket; questions in flight fail. */
  close(): void {
    for (const family of [4, 6] as const) {
      for (const slot of this.slots[family]) {
        for (const p of slot.pending.values()) p.finish(new Error('closed'));
        slot.socket.close();
      }
      this.slots[family] = [];
    }
  }

  private slot(family: 4 | 6): UdpSlot {
    const slots = this.slots[family];
    if (slots.length < this.limits.udpSockets) {
      const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      const slot: UdpSlot = { socket, pending: new Map() };
      socket.on('message', (reply, rinfo) => {
        if (reply.length < HEADER_SIZE) return this.onDiscard('not-a-reply');
        const p = slot.pending.get(reply.readUInt16BE(0));
        if (p === undefined) return this.onDiscard('unexpected-id');
        if (rinfo.port !== p.server.port || !sameHost(p.server, rinfo.address)) return this.onDiscard('wrong-source');
        if (!answersQuery(reply, p.query)) return this.onDiscard('wrong-question');
        p.finish(undefined, reply);
      });
      socket.on('error', () => {
        // A send error reaches its sender through the send callback; an ICMP error is no reply.
      });
      socket.unref();
      slots.push(slot);
      return slot;
    }
    return slots[randomInt(slots.length)] as UdpSlot;
  }

  private exchangeUdp(server: Upstream, msg: Buffer, timeoutMs: number): Promise<Buffer> {
    const slot = this.slot(isIP(server.host) === 6 ? 6 : 4);
    let id = randomInt(0x10000);
    while (slot.pending.has(id)) id = randomInt(0x10000);
    const query = withId(msg, id);
    return new Promise((resolve, reject) => {
      const finish = (err: Error | undefined, reply?: Buffer): void => {
        if (slot.pending.get(id) !== pending) return;
        slot.pending.delete(id);
        clearTimeout(timer);
        if (err !== undefined || reply === undefined) reject(err ?? new Error('no reply'));
        else resolve(reply);
      };
      const pending: Pending = { server, query, finish };
      slot.pending.set(id, pending);
      const timer = setTimeout(
        () => finish(new Error(`no reply from ${server.host}:${server.port} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      slot.socket.send(query, server.port, server.host, (err) => {
        if (err) finish(err);
      });
    });
  }

  private exchangeTcp(server: Upstream, msg: Buffer, timeoutMs: number): Promise<Buffer> {
    const query = withId(msg, randomInt(0x10000));
    this.tcpOpen++;
    return new Promise<Buffer>((resolve, reject) => {
      const socket = connect({ host: server.host, port: server.port });
      let data = Buffer.alloc(0);
      let settled = false;
      const finish = (err: Error | undefined, reply?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
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
        const reply = Buffer.from(data.subarray(2, 2 + size));
        if (!answersQuery(reply, query)) {
          this.onDiscard('wrong-question');
          finish(new Error(`${server.host}:${server.port} answered another question`));
        } else finish(undefined, reply);
      });
    }).finally(() => {
      this.tcpOpen--;
    });
  }
}
