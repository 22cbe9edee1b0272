/** Who sent a message (only formatted when a log line needs it). */
export interface Peer {
  /** IP literal. */
  readonly address: string;
  /** Port. */
  readonly port: number;
}

/** Answers one raw message (see DnsHandler.handle). */
export type MessageHandler = (
  msg: Buffer,
  tcp: boolean,
  peer: Peer,
) => Buffer | undefined | Promise<Buffer | undefined>;
