import { BlockList, isIP } from 'node:net';

/** A client network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`). */
export interface Network {
  /** Network address. */
  readonly address: string;
  /** Prefix length. */
  readonly prefix: number;
  /** 4 or 6. */
  readonly family: 4 | 6;
}

/** Parse `a.b.c.d/n`, `v6/n` or a bare address (a /32 or /128); throws an error naming the entry. */
export function parseNetwork(text: string): Network {
  const [address = '', bits, ...rest] = text.trim().split('/');
  const family = isIP(address);
  const max = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (family === 0 || rest.length > 0 || (bits !== undefined && !/^\d+$/.test(bits)) || prefix > max)
    throw new Error(`${JSON.stringify(text)} is not a network such as 10.0.0.0/8 or fd00::/8`);
  return { address, prefix, family: family === 6 ? 6 : 4 };
}

/**
 * Whether a client may have its questions forwarded (BIND's allow-recursion): true for every
 * address when `networks` is undefined, else only for addresses inside one of them (an
 * IPv4-mapped IPv6 address counts as its IPv4 address).
 */
export function recursionAllowed(networks: readonly Network[] | undefined): (address: string) => boolean {
  if (networks === undefined) return () => true;
  const list = new BlockList();
  for (const n of networks) list.addSubnet(n.address, n.prefix, n.family === 6 ? 'ipv6' : 'ipv4');
  return (address: string): boolean => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}
