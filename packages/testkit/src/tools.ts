import { execFileSync } from 'node:child_process';

/** Where each tool a test needs comes from; `scripts/setup.sh` installs these. */
const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
  dig: 'dnsutils',
  busybox: 'busybox',
  kubectl: 'kubernetes-client',
  dnsperf: 'dnsperf',
  dnsmasq: 'dnsmasq',
  unshare: 'util-linux',
  ip: 'iproute2',
  getent: 'libc-bin',
  openssl: 'openssl',
};

/** The absolute path of `tool`, or an error that says how to install it (never a silent skip). */
export function requireTool(tool: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  } catch {
    const pkg = TOOL_PACKAGES[tool] ?? tool;
    throw new Error(
      `${tool} is not installed; run "bash scripts/setup.sh" as root (it installs the Debian package ${pkg})`,
    );
  }
}
