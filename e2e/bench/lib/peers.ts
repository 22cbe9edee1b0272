// The peers the benchmarks stand ours beside: CoreDNS (its `kubernetes` plugin, what clusters run, and its
// `etcd` plugin, the SkyDNS record reader a user would swap in for skydns) and Knot DNS (C, authoritative,
// the reference for how little CPU a question can cost).
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { goBinDir } from '@kube-dns-legacy/control-plane';
import { freeDnsPort, freePort, ManagedProcess, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { DOMAIN } from './stack.js';
import { QTYPES, UdpProbe } from './udp-probe.js';

/** A DNS server process the benchmarks query: its loopback port, the command that started it and its configuration. */
export interface PeerServer {
  readonly process: ManagedProcess;
  readonly port: number;
  /** The command line and, for CoreDNS and Knot, the configuration file it read. */
  readonly command: string;
  readonly config: string;
}

/** Which CoreDNS plugin serves the cluster domain. */
export type CorednsBackend =
  | { readonly plugin: 'kubernetes'; readonly kubeconfig: string }
  | { readonly plugin: 'etcd'; readonly endpoint: string };

/** How CoreDNS is run. */
export interface CorednsOptions {
  readonly backend: CorednsBackend;
  /** Put the `cache 30` plugin in front (as the kubeadm Corefile does); default true. */
  readonly cache?: boolean;
  /** Serve the `ready` plugin on this port (200 once the kubernetes plugin has synced). */
  readonly readyPort?: number;
  /** A name that exists, asked until CoreDNS answers it before this resolves; none: wait for `ready` or the first reply. */
  readonly probeName?: string;
  readonly name?: string;
  /** `autopath @kubernetes` (the kubernetes backend only): a pod's search path answered server-side. */
  readonly autopath?: boolean;
  /** `forward . <address>` for names outside the cluster; the server block then serves `.`, as kubeadm's Corefile. */
  readonly forward?: string;
}

/** The Corefile for these options on `port`. */
export function corefile(o: CorednsOptions, port: number): string {
  const plugin =
    o.backend.plugin === 'kubernetes'
      ? [
          `  kubernetes ${DOMAIN} in-addr.arpa ip6.arpa {`,
          `    kubeconfig ${o.backend.kubeconfig}`,
          '    pods verified',
          '    ttl 30',
          '  }',
        ]
      : [`  etcd ${DOMAIN} {`, '    path /skydns', `    endpoint ${o.backend.endpoint}`, '  }'];
  const zones =
    o.forward !== undefined
      ? ['.']
      : o.backend.plugin === 'kubernetes'
        ? [DOMAIN, 'in-addr.arpa', 'ip6.arpa']
        : [DOMAIN];
  return [
    `${zones.map((z) => `${z}:${port}`).join(' ')} {`,
    '  bind 127.0.0.1',
    ...(o.readyPort === undefined ? [] : [`  ready 127.0.0.1:${o.readyPort}`]),
    ...(o.cache === false ? [] : ['  cache 30']),
    ...(o.autopath === true ? ['  autopath @kubernetes'] : []),
    ...plugin,
    ...(o.forward === undefined ? [] : [`  forward . ${o.forward}`]),
    '}',
    '',
  ].join('\n');
}

/** The CoreDNS binary built by scripts/conformance/build-go.sh (built on first use). */
export async function corednsBinary(): Promise<string> {
  return join(await goBinDir('coredns'), 'coredns');
}

/** CoreDNS's version line (`CoreDNS-1.15.0`). */
export function corednsVersion(binary: string, output: string): string {
  return /CoreDNS-[\d.]+/.exec(output)?.[0] ?? binary;
}

/** Start CoreDNS with a generated Corefile on a free loopback port; resolves once it answers (or its `ready` says 200). */
export async function startCoredns(dir: string, o: CorednsOptions): Promise<PeerServer> {
  const binary = await corednsBinary();
  const port = await freeDnsPort();
  const name = o.name ?? `coredns-${o.backend.plugin}`;
  const file = join(dir, `${name}.Corefile`);
  const config = corefile(o, port);
  writeFileSync(file, config);
  const proc = new ManagedProcess(name, binary, ['-conf', file]);
  const probe = await UdpProbe.open(port);
  try {
    await waitFor(
      `${name} to answer`,
      async () => {
        if (!proc.alive) throw new Error(`${name} exited: ${proc.output}`);
        if (o.readyPort !== undefined) {
          try {
            const res = await fetch(`http://127.0.0.1:${o.readyPort}/ready`);
            await res.arrayBuffer();
            if (res.status !== 200) return false;
          } catch {
            return false;
          }
        }
        const reply = await probe.query(o.probeName ?? `kubernetes.default.svc.${DOMAIN}`, QTYPES.A, 200);
        return reply !== undefined && (o.probeName === undefined || reply.answers > 0);
      },
      600_000,
      50,
    );
  } finally {
    probe.close();
  }
  return { process: proc, port, command: `${binary} -conf ${file}`, config };
}

/** A free port for CoreDNS's `ready` plugin. */
export function readyPort(): Promise<number> {
  return freePort();
}

/**
 * Start Knot DNS (`knotd`, Debian's `knot`) authoritative for the cluster domain from `zone` (zone file
 * text), one UDP worker, one TCP worker, one background worker; resolves once it answers `probeName`.
 */
export async function startKnot(dir: string, zone: string, probeName: string): Promise<PeerServer> {
  requireTool('knotd');
  const root = join(dir, 'knot');
  mkdirSync(join(root, 'db'), { recursive: true });
  const zoneFile = join(root, `${DOMAIN}.zone`);
  writeFileSync(zoneFile, zone);
  const port = await freeDnsPort();
  const config = [
    'server:',
    `    listen: 127.0.0.1@${port}`,
    `    rundir: "${root}"`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    'log:',
    '  - target: stderr',
    '    any: warning',
    'database:',
    `    storage: "${join(root, 'db')}"`,
    'control:',
    `    listen: "${join(root, 'knot.sock')}"`,
    'zone:',
    `  - domain: ${DOMAIN}`,
    `    file: "${zoneFile}"`,
    '    journal-content: none',
    '    zonefile-sync: -1',
    '',
  ].join('\n');
  const file = join(root, 'knot.conf');
  writeFileSync(file, config);
  const proc = new ManagedProcess('knotd', 'knotd', ['-c', file]);
  const probe = await UdpProbe.open(port);
  try {
    await waitFor(
      'knotd to answer',
      async () => {
        if (!proc.alive) throw new Error(`knotd exited: ${proc.output}`);
        const reply = await probe.query(probeName, QTYPES.A, 200);
        return reply !== undefined && reply.answers > 0;
      },
      60_000,
      50,
    );
  } finally {
    probe.close();
  }
  return { process: proc, port, command: `knotd -c ${file}`, config };
}

/** The pid of the process whose command line contains `needle` (e.g. an etcd's data directory), or undefined. */
export function pidByCmdline(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
