import type { Rr } from '../rr.js';
import type { ResolveContext } from './context.js';

/** The authors SkyDNS lists for CHAOS `authors.bind`. */
const AUTHORS = ['Erik St. Martin', 'Brian Ketelsen', 'Miek Gieben', 'Michael Crosby'];

/** CHAOS TXT: `version.bind`/`version.server`, `hostname.bind`/`id.server`, `authors.bind`; undefined otherwise. */
export function resolveChaos(ctx: ResolveContext, owner: string, type: string): Rr[] | undefined {
  if (type !== 'TXT') return undefined;
  const name = owner.toLowerCase();
  const txt = (text: string): Rr => ({ name: owner, ttl: 0, type: 'TXT', texts: [text], chaos: true });
  switch (name) {
    case 'version.bind.':
    case 'version.server.':
      return [txt(ctx.version)];
    case 'hostname.bind.':
    case 'id.server.':
      return [txt('localhost')];
    case 'authors.bind.':
      return AUTHORS.map(txt);
    default:
      return name === ctx.domain ? AUTHORS.map(txt) : undefined;
  }
}
