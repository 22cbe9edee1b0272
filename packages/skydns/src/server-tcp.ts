import type { Socket } from 'node:net';
import type { MessageHandler, Peer } from './message.js';

/** Most TCP connections one client address may hold by default (`-tcp-max-connections-per-client`). */
export const DEFAULT_TCP_MAX_PER_CLIENT = 32;

/** Largest DNS message over TCP. */
const MAX_TCP_MESSAGE = 65535;
/** A client that does not read its replies is cut off once this much is queued for it. */
const MAX_TCP_BACKLOG = 1 << 20;
/** At most one warning of each kind per this long (the rest are counted into the next one). */
const WARN_EVERY_MS = 10_000;

/** How TCP connections are served and shared out. */
export interface TcpOptions {
  /** Close a connection idle this long (ms); a message must also arrive whole within it. */
  readonly idleMs: number;
  /** Most connections at once. From 7/8 of it on, each new connection evicts the longest-idle one. */
  readonly maxConnections: number;
  /** Most connections from one client address (0: no limit); at the limit, its own longest-idle one is evicted. */
  readonly maxPerClient: number;
  /** Log lines. */
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;
}

/** One open connection: who, and whether it is in the middle of something. */
interface Connection {
  readonly socket: Socket;
  /** The client's address (IPv4-mapped IPv6 as dotted quad). */
  readonly client: string;
  /** Replies being worked out for it. */
  inFlight: number;
  /** Bytes of a message not yet complete. */
  partial: boolean;
}

/** What happened to connections since the last warning of each kind. */
type Event = 'evicted' | 'refused-client' | 'refused-full';

/**
 * The TCP side of the DNS server: length-prefixed messages in, replies out, and the connection
 * limits. A client may hold at most `maxPerClient` connections: beyond that its own longest-idle
 * connection is closed to make room, or the new one is refused when all of its connections are
 * busy. When the total reaches 7/8 of `maxConnections`, each new connection closes the
 * longest-idle connection of the server (connections are kept in the order of their last use), so
 * clients holding hundreds of idle connections cannot lock others out; only when every connection
 * is busy at the cap is a new one refused. A connection is idle when it has no reply in the works,
 * no part of a message and nothing left to send.
 */
export class TcpConnections {
  /** Every connection, least recently used first. */
  private readonly all = new Set<Connection>();
  /** Connections per client address, least recently used first. */
  private readonly byClient = new Map<string, Set<Connection>>();
  private readonly counts: Record<Event, number> = { evicted: 0, 'refused-client': 0, 'refused-full': 0 };
  private readonly warned: Record<Event, number> = { evicted: 0, 'refused-client': 0, 'refused-full': 0 };

  constructor(
    private readonly handler: MessageHandler,
    private readonly options: TcpOptions,
  ) {}

  /** Connections open now. */
  get size(): number {
    return this.all.size;
  }

  /** Connections open now from `client`. */
  countFrom(client: string): number {
    return this.byClient.get(clientOf(client))?.size ?? 0;
  }

  /** Take a new connection: make room for it (or refuse it), then serve it. */
  accept(socket: Socket): void {
    socket.on('error', () => undefined);
    const client = clientOf(socket.remoteAddress ?? '?');
    const limit = this.options.maxPerClient;
    const mine = this.byClient.get(client);
    if (limit > 0 && mine !== undefined && mine.size >= limit) {
      const idle = firstIdle(mine);
      if (idle === undefined) {
        this.refuse(socket, 'refused-client', client);
        return;
      }
      this.evict(idle);
    }
    const max = this.options.maxConnections;
    if (this.all.size >= max - (max >> 3)) {
      const idle = firstIdle(this.all);
      if (idle !== undefined) this.evict(idle);
      else if (this.all.size >= max) {
        this.refuse(socket, 'refused-full', client);
        return;
      }
    }
    this.serve(socket, client);
  }

  /** Close every connection. */
  closeAll(): void {
    for (const c of this.all) c.socket.destroy();
  }

  private refuse(socket: Socket, event: Event, client: string): void {
    socket.destroy();
    this.note(event, client);
  }

  private evict(c: Connection): void {
    this.forget(c);
    c.socket.destroy();
    this.note('evicted', c.client);
  }

  /** Count an event; warn about it at most once per {@link WARN_EVERY_MS}. */
  private note(event: Event, client: string): void {
    this.counts[event]++;
    const now = Date.now();
    if (now - this.warned[event] < WARN_EVERY_MS) return;
    this.warned[event] = now;
    const count = this.counts[event];
    this.counts[event] = 0;
    const message = {
      evicted: 'TCP connections near the limit: closed the longest-idle ones to make room',
      'refused-client': 'a client holds its most TCP connections, all busy: refused new ones',
      'refused-full': 'every TCP connection is busy: refused new ones',
    }[event];
    this.options.log('warn', message, {
      count,
      client,
      connections: this.all.size,
      maxConnections: this.options.maxConnections,
      maxPerClient: this.options.maxPerClient,
    });
  }

  private forget(c: Connection): void {
    this.all.delete(c);
    const mine = this.byClient.get(c.client);
    mine?.delete(c);
    if (mine?.size === 0) this.byClient.delete(c.client);
  }

  /** Mark `c` as just used: it moves to the end of the eviction order. */
  private touch(c: Connection): void {
    if (!this.all.delete(c)) return;
    this.all.add(c);
    const mine = this.byClient.get(c.client);
    mine?.delete(c);
    mine?.add(c);
  }

  private serve(socket: Socket, client: string): void {
    const c: Connection = { socket, client, inFlight: 0, partial: false };
    this.all.add(c);
    let mine = this.byClient.get(client);
    if (mine === undefined) this.byClient.set(client, (mine = new Set()));
    mine.add(c);
    const peer: Peer = { address: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 };
    let pending: Buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleMs, () => socket.destroy());
    // The idle timeout restarts with every byte; a message must also arrive whole within that time
    // from its first byte, so a client trickling one byte at a time cannot hold a connection forever.
    let messageDeadline: NodeJS.Timeout | undefined;
    socket.on('close', () => {
      clearTimeout(messageDeadline);
      this.forget(c);
    });
    socket.on('data', (chunk: Buffer) => {
      this.touch(c);
      const startsMessage = pending.length === 0;
      let consumed = false;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (pending.length < 2 + size) break;
        const msg = Buffer.from(pending.subarray(2, 2 + size));
        pending = pending.subarray(2 + size);
        consumed = true;
        c.inFlight++;
        Promise.resolve()
          .then(() => this.handler(msg, true, peer))
          .then((reply) => {
            if (reply === undefined || socket.destroyed) return;
            if (reply.length > MAX_TCP_MESSAGE) return;
            if (socket.writableLength > MAX_TCP_BACKLOG) {
              socket.destroy();
              return;
            }
            const len = Buffer.alloc(2);
            len.writeUInt16BE(reply.length);
            socket.write(Buffer.concat([len, reply]));
          })
          .catch((err: Error) => this.options.log('error', 'TCP handler failed', { error: err.message }))
          .finally(() => {
            c.inFlight--;
            this.touch(c);
          });
      }
      c.partial = pending.length > 0;
      if (pending.length === 0 || startsMessage || consumed) {
        clearTimeout(messageDeadline);
        if (pending.length > 0) messageDeadline = setTimeout(() => socket.destroy(), this.options.idleMs);
      }
    });
  }
}

/** The first idle connection of `set` (the least recently used one), if any. */
function firstIdle(set: Set<Connection>): Connection | undefined {
  for (const c of set) if (c.inFlight === 0 && !c.partial && c.socket.writableLength === 0) return c;
  return undefined;
}

/** A client's address as one key: an IPv4-mapped IPv6 address is its IPv4 address. */
function clientOf(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
