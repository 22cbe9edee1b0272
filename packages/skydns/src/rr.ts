/** A resource record as the resolvers produce it; the `type` selects the data fields. */
export type Rr =
  | { name: string; ttl: number; type: 'A' | 'AAAA'; address: string }
  | { name: string; ttl: number; type: 'CNAME' | 'PTR' | 'NS'; target: string }
  | { name: string; ttl: number; type: 'MX'; preference: number; target: string }
  | { name: string; ttl: number; type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { name: string; ttl: number; type: 'TXT'; texts: string[]; chaos?: boolean }
  | {
      name: string;
      ttl: number;
      type: 'SOA';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    };

/** The record data in presentation form (as dig prints it). */
function rdataText(rr: Rr): string {
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return rr.address;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return rr.target;
    case 'MX':
      return `${rr.preference} ${rr.target}`;
    case 'SRV':
      return `${rr.priority} ${rr.weight} ${rr.port} ${rr.target}`;
    case 'TXT':
      return rr.texts.map((t) => JSON.stringify(t)).join(' ');
    case 'SOA':
      return `${rr.mname} ${rr.rname} ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expire} ${rr.minimum}`;
  }
}

/** `name TTL TYPE rdata`, one line as dig prints it (class omitted). */
export function formatRr(rr: Rr): string {
  return `${rr.name} ${rr.ttl} ${rr.type} ${rdataText(rr)}`;
}

/** The identity of an RR for de-duplication: owner (case-insensitive), type and data. */
export function rrIdentity(rr: Rr): string {
  return `${rr.name.toLowerCase()} ${rr.type} ${rdataText(rr).toLowerCase()}`;
}
