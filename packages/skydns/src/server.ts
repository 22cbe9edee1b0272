import { createSocket, type Socket } from 'node:dgram';
import { isIP, createServer, type Server } from 'node:net';
import type { MessageHandler } from './message.js';
import { DEFAULT_TCP_MAX_PER_CLIENT, TcpConnections } from './server-tcp.js';

/** Bytes asked for the UDP socket's receive buffer. */
const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

export type { MessageHandler, Peer } from './message.js';

/**
 * dgram's address lookup for replies: the address is always the IP literal a query came from, so it
 * is handed back at once. The default (`dns.lookup`) defers every send to the next tick.
 */
function literalLookup(
  family: 4 | 6,
): (address: string, options: unknown, callback: (err: null, address: string, family: number) => void) => void {
  return (address, _options, callback) => callback(null, address, family);
}

/** Listener settings. */
export interface ServerOptions {
  /** IP literal to bind. */
  readonly host: string;
  /** Port (0 = any). */
  readonly port: number;
  /** Close TCP connections idle this long (ms). */
  readonly tcpIdleMs: number;
  /** Most TCP connections at once; near it, the longest-idle ones are closed to make room (see TcpConnections). */
  readonly tcpMaxConnections: number;
  /** Most TCP connections from one client address (0 = no limit; default 32). */
  readonly tcpMaxPerClient?: number;
  /** Log lines. */
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;
}

/** UDP and TCP listeners on one address; a packet can never crash or stall them. */
export class DnsServer {
  private udp: Socket | undefined;
  private tcp: Server | undefined;
  private readonly connections: TcpConnections;

  constructor(
    private readonly handler: MessageHandler,
    private readonly options: ServerOptions,
  ) {
    this.connections = new TcpConnections(handler, {
      idleMs: options.tcpIdleMs,
      maxConnections: options.tcpMaxConnections,
      maxPerClient: options.tcpMaxPerClient ?? DEFAULT_TCP_MAX_PER_CLIENT,
      log: options.log,
    });
  }

  /** The bound port (after listen). */
  get port(): number {
    const address = this.udp?.address();
    return address?.port ?? this.options.port;
  }

  /** Bind UDP and TCP on the same address and port. */
  async listen(): Promise<void> {
    // A large receive buffer absorbs bursts instead of the kernel dropping queries (capped by net.core.rmem_max).
    const family = isIP(this.options.host) === 6 ? 6 : 4;
    const udp = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      reuseAddr: false,
      recvBufferSize: UDP_RECEIVE_BUFFER,
      lookup: literalLookup(family),
    });
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.options.port, this.options.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (err) => this.options.log('error', 'UDP socket error', { error: err.message }));
    udp.on('message', (msg, rinfo) => {
      try {
        const reply = this.handler(msg, false, rinfo);
        if (reply instanceof Promise) {
          reply
            .then((r) => {
              if (r !== undefined) udp.send(r, rinfo.port, rinfo.address);
            })
            .catch((err: Error) => this.options.log('error', 'UDP handler failed', { error: err.message }));
        } else if (reply !== undefined) udp.send(reply, rinfo.port, rinfo.address);
      } catch (err) {
        this.options.log('error', 'UDP handler failed', { error: (err as Error).message });
      }
    });
    const tcp = createServer((socket) => this.connections.accept(socket));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.port, this.options.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    tcp.on('error', (err) => this.options.log('error', 'TCP listener error', { error: err.message }));
  }

  /** Stop listening and close open connections. */
  async close(): Promise<void> {
    this.connections.closeAll();
    await Promise.all([
      new Promise<void>((resolve) => (this.udp === undefined ? resolve() : this.udp.close(() => resolve()))),
      new Promise<void>((resolve) => (this.tcp === undefined ? resolve() : this.tcp.close(() => resolve()))),
    ]);
  }
}
