import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig } from './dig.js';
import { freeDnsPort } from './ports.js';
import { ManagedProcess } from './process.js';
import { requireTool } from './tools.js';
import { waitFor } from './wait.js';

/** A dnsmasq serving fixed names on a loopback port. */
export interface Dnsmasq {
  readonly port: number;
  readonly process: ManagedProcess;
  /** The command line it runs (for benchmark reports). */
  readonly command: string;
}

/** An SRV record dnsmasq serves (priority 10, weight 10). */
export interface SrvHost {
  readonly name: string;
  readonly target: string;
  readonly port: number;
}

/**
 * A dnsmasq on a free loopback port serving `zone` from a hosts file (`[ip, name]` lines; names
 * outside the zone may be listed too) and `srv` records; other names in the zone NXDOMAIN, TTL 30. Its files go to
 * `dir`, named by its port, so several may share a directory. Resolves once it answers the first
 * host.
 */
export async function startDnsmasq(
  dir: string,
  zone: string,
  hosts: ReadonlyArray<readonly [string, string]>,
  srv: readonly SrvHost[] = [],
): Promise<Dnsmasq> {
  requireTool('dnsmasq');
  const port = await freeDnsPort();
  const file = join(dir, `dnsmasq-${port}.hosts`);
  const conf = join(dir, `dnsmasq-${port}.conf`);
  writeFileSync(file, hosts.map(([ip, name]) => `${ip} ${name}\n`).join(''));
  writeFileSync(conf, srv.map((s) => `srv-host=${s.name},${s.target},${s.port},10,10\n`).join(''));
  const args = [
    '--keep-in-foreground',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${file}`,
    `--conf-file=${conf}`,
    `--local=/${zone}/`,
    '--local-ttl=30',
    `--pid-file=${join(dir, `dnsmasq-${port}.pid`)}`,
    '--user=root',
    '--log-facility=-',
  ];
  const process = new ManagedProcess(`dnsmasq ${zone}`, 'dnsmasq', args);
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
  ).catch(async (err: unknown) => {
    await process.stop();
    throw err;
  });
  return { port, process, command: `dnsmasq ${args.join(' ')}` };
}
