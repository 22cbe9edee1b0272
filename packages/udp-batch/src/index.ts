import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** Datagrams read per system call (recvmmsg) and replies sent per system call (sendmmsg), at most. */
const SLOTS = 64;
/** Bytes per receive slot: the largest UDP payload fits, so nothing is ever cut. */
const SLOT_SIZE = 65536;
/** Bytes of metadata per slot (native/udp_batch.cc): length, flags, the sender's sockaddr. */
const META_SIZE = 48;

/** The addon's functions (native/udp_batch.cc). */
interface Binding {
  open(host: string, port: number, reusePort: boolean, receiveBuffer: number): [NativeSocket, number];
  start(
    socket: NativeSocket,
    rx: Buffer,
    meta: Buffer,
    slotSize: number,
    slots: number,
    onBatch: (count: number) => ReadonlyArray<Buffer | undefined>,
  ): void;
  arena(socket: NativeSocket, rx: Buffer, meta: Buffer): void;
  sendTo(socket: NativeSocket, reply: Buffer, meta: Buffer, slot: number): void;
  peer(meta: Buffer, slot: number): [string, number];
  stats(socket: NativeSocket): number[];
  close(socket: NativeSocket): void;
}

/** The addon's handle of one socket (opaque). */
declare const nativeSocket: unique symbol;
type NativeSocket = { readonly [nativeSocket]: true };

/** Why the addon is not available, or the addon. */
type Loaded = { readonly binding: Binding } | { readonly error: string };

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux')
    return (loaded = { error: `recvmmsg/sendmmsg need Linux, not ${process.platform}` });
  try {
    const binding = createRequire(import.meta.url)('../build/udp_batch.node') as Binding;
    loaded = { binding };
  } catch (err) {
    loaded = {
      error: `the addon did not load (${(err as Error).message.split('\n')[0]}); build it with packages/udp-batch/build.sh`,
    };
  }
  return loaded;
}

/** Undefined when batched UDP can be used here, else why not (the addon is missing or does not load). */
export function batchUnavailable(): string | undefined {
  const l = load();
  return 'error' in l ? l.error : undefined;
}

/** The sender of a datagram; the address is formatted only when read. */
export interface DatagramPeer {
  /** IP literal. */
  readonly address: string;
  /** Port. */
  readonly port: number;
}

/** Answers one datagram: the reply, undefined for none, or a promise of either (sent when it settles). */
export type DatagramHandler = (msg: Buffer, peer: DatagramPeer) => Buffer | undefined | Promise<Buffer | undefined>;

/** Counters of the socket since it opened. */
export interface BatchStats {
  /** Replies the kernel refused (e.g. the peer is unreachable). */
  readonly sendErrors: number;
  /** Replies dropped because the send buffer stayed full. */
  readonly sendDropped: number;
  /** Failed receive calls. */
  readonly receiveErrors: number;
  /** recvmmsg calls that returned datagrams. */
  readonly batches: number;
  /** Datagrams received. */
  readonly datagrams: number;
  /** errno of the last failure (0: none). */
  readonly lastErrno: number;
}

class SlotPeer implements DatagramPeer {
  private decoded: [string, number] | undefined;

  constructor(
    private readonly binding: Binding,
    private readonly meta: Buffer,
    private readonly slot: number,
  ) {}

  private get value(): [string, number] {
    if (this.decoded === undefined) this.decoded = this.binding.peer(this.meta, this.slot);
    return this.decoded;
  }

  get address(): string {
    return this.value[0];
  }

  get port(): number {
    return this.value[1];
  }
}

/** Socket options. */
export interface BatchSocketOptions {
  /** IP literal to bind. */
  readonly host: string;
  /** Port (0 = any). */
  readonly port: number;
  /** SO_REUSEPORT: several processes bind the same port and the kernel spreads the senders over them. */
  readonly reusePort: boolean;
  /** SO_RCVBUF in bytes (capped by net.core.rmem_max). */
  readonly receiveBuffer: number;
  /** A handler threw or its promise rejected (the socket carries on). */
  readonly onError: (err: Error) => void;
}

/**
 * A UDP server socket that reads up to 64 datagrams per recvmmsg and sends the replies of a batch
 * with one sendmmsg, straight from the reply buffers. Messages handed to the handler are views of
 * the receive arena: valid until the handler returns, or, when it returns a promise, for good (the
 * arena is then left to that promise and the next batches go to a fresh one).
 */
export class BatchUdpSocket {
  private rx = Buffer.allocUnsafeSlow(SLOT_SIZE * SLOTS);
  private meta = Buffer.alloc(META_SIZE * SLOTS);
  private readonly replies: Array<Buffer | undefined> = [];
  private closed = false;

  private constructor(
    private readonly binding: Binding,
    private readonly socket: NativeSocket,
    /** The bound port. */
    readonly port: number,
    private readonly handler: DatagramHandler,
    private readonly onError: (err: Error) => void,
  ) {
    binding.start(socket, this.rx, this.meta, SLOT_SIZE, SLOTS, (count) => this.batch(count));
  }

  /** Bind and start answering; throws (with `code` set as Node's errors do) when the address cannot be bound. */
  static open(options: BatchSocketOptions, handler: DatagramHandler): BatchUdpSocket {
    const l = load();
    if ('error' in l) throw new Error(l.error);
    let opened: [NativeSocket, number];
    try {
      opened = l.binding.open(options.host, options.port, options.reusePort, options.receiveBuffer);
    } catch (err) {
      // As Node's dgram words it: "bind EADDRINUSE 0.0.0.0:53", with `code` set.
      const errno = (err as { errno?: number }).errno;
      const code = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? (err as Error).message;
      throw Object.assign(new Error(`bind ${code} ${options.host}:${options.port}`), { code });
    }
    return new BatchUdpSocket(l.binding, opened[0], opened[1], handler, options.onError);
  }

  private batch(count: number): ReadonlyArray<Buffer | undefined> {
    const { rx, meta, replies, binding } = this;
    let kept = false;
    for (let i = 0; i < count; i++) {
      replies[i] = undefined;
      const start = i * SLOT_SIZE;
      const msg = rx.subarray(start, start + meta.readInt32LE(i * META_SIZE));
      try {
        const reply = this.handler(msg, new SlotPeer(binding, meta, i));
        if (reply instanceof Promise) {
          kept = true;
          reply.then(
            (r) => {
              if (r !== undefined && !this.closed) binding.sendTo(this.socket, r, meta, i);
            },
            (err: Error) => this.onError(err),
          );
        } else replies[i] = reply;
      } catch (err) {
        this.onError(err as Error);
      }
    }
    if (kept) {
      // A promise still reads its message and will send to its slot's sender: leave it this arena.
      this.rx = Buffer.allocUnsafeSlow(SLOT_SIZE * SLOTS);
      this.meta = Buffer.alloc(META_SIZE * SLOTS);
      binding.arena(this.socket, this.rx, this.meta);
    }
    return replies;
  }

  /** Counters since the socket opened. */
  stats(): BatchStats {
    const [sendErrors = 0, sendDropped = 0, receiveErrors = 0, batches = 0, datagrams = 0, lastErrno = 0] =
      this.binding.stats(this.socket);
    return { sendErrors, sendDropped, receiveErrors, batches, datagrams, lastErrno };
  }

  /** Stop reading and close the socket (replies still pending are not sent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.binding.close(this.socket);
  }
}
