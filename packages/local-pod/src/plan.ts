import { basename, join } from 'node:path';
import type { ContainerSpec, HttpProbe } from './manifest.js';

/** The manifest's ports (as the containers see them in the pod) mapped to local loopback ports. */
export type PortMap = ReadonlyMap<number, number>;

/** The ports the pod uses: DNS, etcd client (2379 and the legacy 4001), etcd peer, healthz, kube2sky readiness, skydns metrics. */
export const POD_PORTS = {
  dns: 53,
  etcd: 2379,
  etcdLegacy: 4001,
  etcdPeer: 2380,
  healthz: 8080,
  readiness: 8081,
  metrics: 9153,
} as const;

/** One local process standing in for a container. */
export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly livenessProbe?: HttpProbe;
}

/** Where things are on this machine. */
export interface PlanOptions {
  readonly repoRoot: string;
  readonly stateDir: string;
  readonly ports: PortMap;
  readonly kubeconfig: string;
  readonly node: string;
}

/** The package whose built `dist/main.js` runs each of our containers. */
const PACKAGE_OF: Readonly<Record<string, string>> = { kube2sky: 'kube2sky', skydns: 'skydns', healthz: 'exechealthz' };

function local(ports: PortMap, port: number): number {
  return ports.get(port) ?? port;
}

/** Rewrite one argument for loopback: all-interfaces binds become 127.0.0.1, and pod ports (bare `=PORT` values or on loopback hosts) become local ports. */
export function rewriteArg(arg: string, ports: PortMap): string {
  const mapped = (whole: string, head: string, digits: string): string => {
    const port = ports.get(Number(digits));
    return port === undefined ? whole : `${head}${port}`;
  };
  return arg
    .replace(/\b0\.0\.0\.0:/g, '127.0.0.1:')
    .replace(/((?:127\.0\.0\.1|localhost):)(\d{1,5})\b/g, mapped)
    .replace(/^(-{1,2}[\w-]+=)(\d{1,5})$/, mapped);
}

function hasFlag(args: readonly string[], flag: string): boolean {
  const names = [`-${flag}`, `--${flag}`, `-${flag.replaceAll('-', '_')}`, `--${flag.replaceAll('-', '_')}`];
  return args.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)));
}

function etcdSpec(c: ContainerSpec, o: PlanOptions): ProcessSpec {
  const words = [...c.command, ...c.args];
  if (words.length === 0 || basename(words[0] ?? '') !== 'etcd')
    throw new Error(`container ${c.name}: expected an etcd command, got ${JSON.stringify(words[0])}`);
  const args: string[] = [];
  const rest = words.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (/^--?data-dir$/.test(arg)) {
      args.push(arg, join(o.stateDir, 'etcd-data'));
      i++;
    } else if (/^--?data-dir=/.test(arg)) {
      args.push(`${arg.slice(0, arg.indexOf('='))}=${join(o.stateDir, 'etcd-data')}`);
    } else {
      args.push(rewriteArg(arg, o.ports));
    }
  }
  if (!hasFlag(args, 'listen-peer-urls')) {
    // The container's default peer port would clash with any other etcd on this machine.
    const peer = `http://127.0.0.1:${local(o.ports, POD_PORTS.etcdPeer)}`;
    args.push(
      '--name',
      'default',
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `default=${peer}`,
    );
  }
  return { name: c.name, command: 'etcd', args, env: {} };
}

function nodeSpec(c: ContainerSpec, o: PlanOptions, pkg: string): ProcessSpec {
  const args = c.args.map((a) => rewriteArg(a, o.ports));
  if (c.name === 'kube2sky') {
    if (!hasFlag(args, 'etcd-server'))
      args.push(`--etcd-server=http://127.0.0.1:${local(o.ports, POD_PORTS.etcdLegacy)}`);
    if (!hasFlag(args, 'healthz-port')) args.push(`--healthz-port=${local(o.ports, POD_PORTS.readiness)}`);
    if (!hasFlag(args, 'kubecfg-file')) args.push(`--kubecfg-file=${o.kubeconfig}`);
    // The image listens on every interface for the kubelet's probes; on this machine, loopback only.
    if (!hasFlag(args, 'bind-address')) args.push('--bind-address=127.0.0.1');
  }
  if (c.name === 'healthz') {
    if (!hasFlag(args, 'bind-address')) args.push('-bind-address=127.0.0.1');
    // The image's nslookup is busybox's, whose server argument takes a port; the local DNS port is not 53.
    const dns = local(o.ports, POD_PORTS.dns);
    for (let i = 0; i < args.length; i++) {
      args[i] = (args[i] ?? '').replace(
        /(^|\s|=)nslookup (\S+) (127\.0\.0\.1|localhost)(?=\s|$)/,
        `$1busybox nslookup $2 127.0.0.1:${dns}`,
      );
    }
  }
  const env = Object.fromEntries(
    Object.entries(c.env).map(([k, v]) => [k, /^\d+$/.test(v) ? String(local(o.ports, Number(v))) : v]),
  );
  const probe = c.livenessProbe ? { ...c.livenessProbe, port: local(o.ports, c.livenessProbe.port) } : undefined;
  return {
    name: c.name,
    command: o.node,
    args: [join(o.repoRoot, 'packages', pkg, 'dist', 'main.js'), ...args],
    env,
    ...(probe ? { livenessProbe: probe } : {}),
  };
}

/** The local processes for a pod manifest's containers, in the manifest's order (etcd first in ours). */
export function planProcesses(containers: readonly ContainerSpec[], options: PlanOptions): ProcessSpec[] {
  return containers.map((c) => {
    if (c.name === 'etcd') return etcdSpec(c, options);
    const pkg = PACKAGE_OF[c.name];
    if (pkg === undefined)
      throw new Error(`container ${c.name}: no local stand-in (known: etcd, ${Object.keys(PACKAGE_OF).join(', ')})`);
    return nodeSpec(c, options, pkg);
  });
}
