import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeDnsPort, ManagedProcess, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { QTYPES, UdpProbe } from './udp-probe.js';

/** dnsmasq serving fixed names: A records from a hosts file, SRV records from `srv-host` lines. */
export interface Dnsmasq {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly command: string;
}

/** An SRV record dnsmasq should serve. */
export interface SrvHost {
  readonly name: string;
  readonly target: string;
  readonly port: number;
}

/**
 * Start dnsmasq on a free loopback port, authoritative-like for `domain`: `--no-resolv`, `--no-hosts`
 * plus `--addn-hosts` (the generated hosts file), `--local=/domain/` so unknown names get NXDOMAIN
 * rather than REFUSED, SRV records from a generated conf file, TTL 30 as skydns.
 */
export async function startDnsmasq(
  dir: string,
  domain: string,
  hosts: ReadonlyArray<readonly [string, string]>,
  srv: readonly SrvHost[],
  probeName: string,
): Promise<Dnsmasq> {
  requireTool('dnsmasq');
  const hostsFile = join(dir, 'dnsmasq.hosts');
  const confFile = join(dir, 'dnsmasq.conf');
  writeFileSync(hostsFile, hosts.map(([ip, name]) => `${ip} ${name}\n`).join(''));
  writeFileSync(confFile, srv.map((s) => `srv-host=${s.name},${s.target},${s.port},10,10\n`).join(''));
  const port = await freeDnsPort();
  const args = [
    '--keep-in-foreground',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${hostsFile}`,
    `--conf-file=${confFile}`,
    `--local=/${domain}/`,
    '--local-ttl=30',
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    '--user=root',
    '--log-facility=-',
  ];
  const proc = new ManagedProcess('dnsmasq', 'dnsmasq', args);
  const probe = await UdpProbe.open(port);
  try {
    await waitFor(
      'dnsmasq to answer',
      async () => {
        if (!proc.alive) throw new Error(`dnsmasq exited: ${proc.output}`);
        const reply = await probe.query(probeName, QTYPES.A, 200);
        return reply !== undefined && reply.answers > 0;
      },
      10_000,
      50,
    );
  } finally {
    probe.close();
  }
  return { process: proc, port, command: `dnsmasq ${args.join(' ')}` };
}
