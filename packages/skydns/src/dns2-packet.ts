import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type dns2 from 'dns2';

// dns2's packet codec alone. Its index (the only path its package exports) also loads its DoH, TCP
// and UDP servers and clients, which skydns never uses: ~4 MiB more RSS in every process
// (docs/performance.md, "Memory at scale"). packet.js is a file of the package (listed in its
// "files"; the version is pinned), loaded by path because the exports map does not name it.
const require = createRequire(import.meta.url);

/** dns2's `Packet` class (its codecs), as `import dns2 from 'dns2'` would give it. */
export const Packet = require(join(dirname(require.resolve('dns2/package.json')), 'packet.js')) as typeof dns2.Packet;
