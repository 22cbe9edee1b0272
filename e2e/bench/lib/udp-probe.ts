import { createSocket, type Socket } from 'node:dgram';

/** DNS question types the benchmarks ask. */
export const QTYPES = { A: 1, AAAA: 28, SRV: 33, PTR: 12, TXT: 16 } as const;

/** What a reply said: rcode, answer count, truncation, size. */
export interface ProbeReply {
  readonly rcode: number;
  readonly answers: number;
  readonly truncated: boolean;
  readonly bytes: number;
}

/** A DNS query message (RD set, one question, no EDNS) with the given id. */
export function queryMessage(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const size = 12 + labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 0) + 1 + 4;
  const msg = Buffer.alloc(size);
  msg.writeUInt16BE(id, 0);
  msg.writeUInt16BE(0x0100, 2);
  msg.writeUInt16BE(1, 4);
  let at = 12;
  for (const label of labels) {
    msg[at++] = Buffer.byteLength(label);
    at += msg.write(label, at, 'ascii');
  }
  msg[at++] = 0;
  msg.writeUInt16BE(type, at);
  msg.writeUInt16BE(1, at + 2);
  return msg;
}

/** The header facts of a reply. */
export function readReply(msg: Buffer): ProbeReply {
  return {
    rcode: (msg[3] as number) & 0x0f,
    answers: msg.readUInt16BE(6),
    truncated: ((msg[2] as number) & 0x02) !== 0,
    bytes: msg.length,
  };
}

/**
 * A light UDP DNS client: one socket, queries matched by id, a timeout per query. Sending a
 * prebuilt message and reading three header fields keeps the client's own cost to a few
 * microseconds, so it does not dominate what it measures.
 */
export class UdpProbe {
  private readonly socket: Socket;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ProbeReply | undefined) => void; timer: NodeJS.Timeout }>();

  private constructor(
    socket: Socket,
    private readonly port: number,
  ) {
    this.socket = socket;
    socket.on('message', (msg) => {
      if (msg.length < 12) return;
      const waiter = this.pending.get(msg.readUInt16BE(0));
      if (waiter === undefined) return;
      this.pending.delete(msg.readUInt16BE(0));
      clearTimeout(waiter.timer);
      waiter.resolve(readReply(msg));
    });
  }

  /** Open a socket that queries 127.0.0.1:`port`. */
  static async open(port: number): Promise<UdpProbe> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new UdpProbe(socket, port);
  }

  /** Ask once; resolves with the reply, or undefined after `timeoutMs`. */
  query(name: string, type: number, timeoutMs = 1000): Promise<ProbeReply | undefined> {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id % 65535) + 1;
    this.nextId = (id % 65535) + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.socket.send(queryMessage(id, name, type), this.port, '127.0.0.1');
    });
  }

  /** Close the socket. */
  close(): void {
    for (const { timer, resolve } of this.pending.values()) {
      clearTimeout(timer);
      resolve(undefined);
    }
    this.pending.clear();
    this.socket.close();
  }
}
