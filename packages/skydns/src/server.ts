import { createSocket, type Socket } from 'node:dgram';
import { isIP, createServer, type Server } from 'node:net';
import { BatchUdpSocket, batchUnavailable } from '@kube-dns-legacy/udp-batch';
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
  /**
   * How UDP is read and written: `batch` (recvmmsg/sendmmsg through the udp-batch addon), `dgram`
   * (Node's dgram, a system call per datagram each way) or `auto` (default: batch when the addon
   * loads, else dgram). The path chosen is `udpPath` after listen.
   */
  readonly udp?: UdpMode;
  /** Bind UDP with SO_REUSEPORT (several worker processes on one port; dgram: where Node offers it). */
  readonly reusePort?: boolean;
  /** Log lines. */
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;
}

/** dgram's `reusePort` option exists (Node ≥ 22.12 or ≥ 23.1). */
const DGRAM_REUSEPORT = ((): boolean => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
})();

/** How UDP datagrams are read and written. */
export type UdpMode = 'auto' | 'batch' | 'dgram';

/** Ports tried by a listen on port 0 before it gives up (see DnsServer.listen). */
const PORT_ZERO_ATTEMPTS = 8;

/** UDP and TCP listeners on one address; a packet can never crash or stall them. */
export class DnsServer {
  private udp: Socket | undefined;
  private batch: BatchUdpSocket | undefined;
  private batchErrors = 0;
  private batchWatch: NodeJS.Timeout | undefined;
  /** The UDP path in use after listen; `reason`: why not batch, when dgram was not asked for. */
  udpPath: { readonly mode: 'batch' | 'dgram'; readonly reason?: string } = { mode: 'dgram' };
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
    if (this.batch !== undefined) return this.batch.port;
    const address = this.udp?.address();
    return address?.port ?? this.options.port;
  }

  /**
   * Bind UDP and TCP on the same address and port. UDP goes first, so port 0 takes the port it was
   * given for TCP too; when that number is taken for TCP (an outgoing connection's ephemeral port, say),
   * both are let go and another is tried, up to {@link PORT_ZERO_ATTEMPTS} times.
   */
  async listen(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bind();
        return;
      } catch (err) {
        const clash = this.options.port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!clash || attempt >= PORT_ZERO_ATTEMPTS) throw err;
      }
    }
  }

  /** One attempt of {@link listen}: UDP, then TCP on the same port (all closed again when TCP fails). */
  private async bind(): Promise<void> {
    const mode = this.options.udp ?? 'auto';
    const unavailable = mode === 'dgram' ? undefined : batchUnavailable();
    if (unavailable !== undefined && mode === 'batch') throw new Error(`batched UDP asked for: ${unavailable}`);
    if (mode !== 'dgram' && unavailable === undefined) this.listenBatch();
    else {
      this.udpPath = { mode: 'dgram', reason: unavailable };
      await this.listenDgram();
    }
    const tcp = createServer((socket) => this.connections.accept(socket));
    this.tcp = tcp;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, this.options.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.tcp = undefined;
      await this.close();
      throw err;
    }
    tcp.on('error', (err) => this.options.log('error', 'TCP listener error', { error: err.message }));
  }

  /** Node's dgram: one recvmsg and one sendmsg per datagram. */
  private async listenDgram(): Promise<void> {
    // A large receive buffer absorbs bursts instead of the kernel dropping queries (capped by net.core.rmem_max).
    const family = isIP(this.options.host) === 6 ? 6 : 4;
    // Workers: each its own socket with SO_REUSEPORT where dgram offers it (Node ≥ 22.12); else, in
    // a cluster worker, dgram shares the primary's one socket among the workers.
    const reusePort = this.options.reusePort === true && DGRAM_REUSEPORT;
    const udp = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      reuseAddr: false,
      recvBufferSize: UDP_RECEIVE_BUFFER,
      lookup: literalLookup(family),
      ...(reusePort ? { reusePort: true } : {}),
    });
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ port: this.options.port, address: this.options.host, exclusive: reusePort }, () => {
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
  }

  /** The batched path: one recvmmsg and one sendmmsg per batch of up to 64 datagrams (udp-batch). */
  private listenBatch(): void {
    const batch = BatchUdpSocket.open(
      {
        host: this.options.host,
        port: this.options.port,
        reusePort: this.options.reusePort === true,
        receiveBuffer: UDP_RECEIVE_BUFFER,
        onError: (err) => this.options.log('error', 'UDP handler failed', { error: err.message }),
      },
      (msg, peer) => this.handler(msg, false, peer),
    );
    this.batch = batch;
    this.udpPath = { mode: 'batch' };
    // Replies the kernel refused or dropped (a full send buffer) are counted in the addon; say so, at most every 10 s.
    this.batchWatch = setInterval(() => {
      const stats = batch.stats();
      const errors = stats.sendErrors + stats.sendDropped + stats.receiveErrors;
      if (errors === this.batchErrors) return;
      this.batchErrors = errors;
      this.options.log('warn', 'UDP send or receive failures', { ...stats });
    }, 10_000);
    this.batchWatch.unref();
  }

  /** Stop listening and close open connections. */
  async close(): Promise<void> {
    this.connections.closeAll();
    clearInterval(this.batchWatch);
    this.batch?.close();
    await Promise.all([
      new Promise<void>((resolve) => (this.udp === undefined ? resolve() : this.udp.close(() => resolve()))),
      new Promise<void>((resolve) => (this.tcp === undefined ? resolve() : this.tcp.close(() => resolve()))),
    ]);
  }
}
