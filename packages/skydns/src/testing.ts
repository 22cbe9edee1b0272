import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, dig, freeDnsPort, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { decodeRecord, encodeRecord, leafLabel, nameToKey, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { RecordTree } from './tree.js';
import type { ResolveContext } from './resolve/context.js';

/** kube2sky's record for a service/endpoint/pod IP. */
export function kubeA(host: string): SkyRecord {
  return { host, priority: 10, weight: 10, ttl: 30 };
}

/** A tree builder for tests: records written exactly as kube2sky writes them (JSON through skymsg). */
export class TreeBuilder {
  readonly tree = new RecordTree();

  /** Put `record` as the hash leaf under `name` (as kube2sky does); returns the key. */
  leaf(name: string, record: SkyRecord, label?: string): string {
    const value = encodeRecord(record);
    const key = `${nameToKey(name)}/${label ?? leafLabel(value)}`;
    this.tree.set(key, decodeRecord(key, value));
    return key;
  }

  /** Put `record` exactly at the key of `name`. */
  at(name: string, record: SkyRecord): string {
    const key = nameToKey(name);
    this.tree.set(key, decodeRecord(key, encodeRecord(record)));
    return key;
  }
}

/** A resolve context over `tree` with SkyDNS defaults for `cluster.local.` at a fixed time. */
export function testContext(tree: RecordTree, overrides: Partial<ResolveContext> = {}): ResolveContext {
  tree.ready = true;
  return {
    store: tree,
    domain: 'cluster.local.',
    prefix: 'skydns',
    ttl: 3600,
    minTtl: 60,
    priority: 10,
    hostmaster: 'hostmaster.cluster.local.',
    local: '',
    version: 'kube-dns-legacy',
    serial: () => Math.floor(Date.UTC(2026, 0, 1, 12, 34, 56) / 3_600_000) * 3600,
    ...overrides,
  };
}

/** A dnsmasq on a free loopback port serving `zone` from a hosts file (`[ip, name]` lines); other names in it NXDOMAIN. */
export async function startDnsmasq(
  dir: string,
  zone: string,
  hosts: ReadonlyArray<readonly [string, string]>,
): Promise<{ port: number; process: ManagedProcess }> {
  requireTool('dnsmasq');
  const file = join(dir, `${zone}.hosts`);
  writeFileSync(file, hosts.map(([ip, name]) => `${ip} ${name}\n`).join(''));
  const port = await freeDnsPort();
  const process = new ManagedProcess(`dnsmasq ${zone}`, 'dnsmasq', [
    '--keep-in-foreground',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${file}`,
    `--local=/${zone}/`,
    '--local-ttl=30',
    `--pid-file=${join(dir, `${zone}.pid`)}`,
    '--user=root',
    '--log-facility=-',
  ]);
  const [ip, name] = hosts[0] ?? ['', ''];
  await waitFor(
    `dnsmasq for ${zone} to answer`,
    async () => {
      if (!process.alive) throw new Error(`dnsmasq exited: ${process.output}`);
      const r = await dig(port, '+time=1', name, 'A').catch(() => undefined);
      return r?.answer.some((a) => a.endsWith(` ${ip}`)) === true;
    },
    10_000,
    100,
  );
  return { port, process };
}
