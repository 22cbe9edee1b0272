// The DNS numbers skydns uses, in one place. A leaf: imports nothing.

/** Record and question type codes by name. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

/** The name of a record type that resolvers produce. */
export type RrTypeName = 'A' | 'NS' | 'CNAME' | 'SOA' | 'PTR' | 'MX' | 'TXT' | 'AAAA' | 'SRV';

/** Question type names by code (the OPT pseudo-type is not a question type). */
export const QTYPE: Readonly<Record<number, string>> = {
  [TYPE.A]: 'A',
  [TYPE.NS]: 'NS',
  [TYPE.CNAME]: 'CNAME',
  [TYPE.SOA]: 'SOA',
  [TYPE.PTR]: 'PTR',
  [TYPE.MX]: 'MX',
  [TYPE.TXT]: 'TXT',
  [TYPE.AAAA]: 'AAAA',
  [TYPE.SRV]: 'SRV',
  [TYPE.IXFR]: 'IXFR',
  [TYPE.AXFR]: 'AXFR',
  [TYPE.ANY]: 'ANY',
};

/** The name of a question type (`TYPE<n>` when unknown, as in presentation format). */
export function typeName(qtype: number): string {
  return QTYPE[qtype] ?? `TYPE${qtype}`;
}

/** Class codes. */
export const CLASS = { IN: 1, CHAOS: 3 } as const;

/** Opcodes. */
export const OPCODE = { QUERY: 0 } as const;

/** Response codes the server produces (BADVERS is an extended code: its high bits travel in the OPT record). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

/** A response code name. */
export type RcodeName = keyof typeof RCODE;

/** Response code names by code. */
export const RCODE_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RCODE).map(([k, v]) => [v, k]),
);

/** Header flag bits of the second 16-bit word. */
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, CD: 0x0010 } as const;

/** The fixed DNS header size. */
export const HEADER_SIZE = 12;
