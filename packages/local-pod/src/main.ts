#!/usr/bin/env node
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';
import { Resolver } from 'node:dns/promises';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import yaml from 'js-yaml';
import { loadPodManifest } from './manifest.js';
import { planProcesses, POD_PORTS, type ProcessSpec } from './plan.js';
import { Supervisor } from './supervisor.js';
import { API_PORT, assertPortsFree, choosePorts } from './ports.js';
import { ControlPlane } from '@kube-dns-legacy/control-plane';
import { packageVersion } from './version.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const argv = yargs(hideBin(process.argv))
  .scriptName('kube-dns-pod')
  .usage(
    '$0 [options]\n\nRuns the DNS pod of manifests/skydns-rc.yaml as local processes (etcd, kube2sky, skydns, healthz),\n' +
      "with the manifest's own arguments adjusted for loopback. Without --kubeconfig (or KUBECONFIG) a sandbox\n" +
      'Kubernetes API server (or, with --api real, a real control plane) is started and seeded with the kube-dns Service.\n' +
      'Ctrl-C stops everything.',
  )
  .option('manifest', {
    type: 'string',
    default: join(repoRoot, 'manifests', 'skydns-rc.yaml'),
    describe: 'The pod manifest (ReplicationController) to run',
  })
  .option('service-manifest', {
    type: 'string',
    default: join(repoRoot, 'manifests', 'skydns-svc.yaml'),
    describe: 'The kube-dns Service created in the sandbox API',
  })
  .option('kubeconfig', {
    type: 'string',
    default: process.env.KUBECONFIG,
    describe: 'Watch this cluster instead of starting the sandbox API (default: $KUBECONFIG)',
  })
  .option('api', {
    choices: ['sandbox', 'real'] as const,
    default: 'sandbox' as const,
    describe:
      'Without --kubeconfig: the sandbox API server, or a real control plane (kube-apiserver and kube-controller-manager built from Go modules on first use; needs Go)',
  })
  .option('state-dir', {
    type: 'string',
    default: join(repoRoot, '.kube-dns-legacy'),
    describe: 'Where etcd data, the sandbox kubeconfig and pid files live',
  })
  .option('dns-port', {
    type: 'number',
    describe: 'Local port for DNS (UDP and TCP) [default: 10053, or a free one with --free-ports]',
  })
  .option('free-ports', {
    type: 'boolean',
    default: false,
    describe:
      "Use free loopback ports instead of the manifest's (etcd 2379/4001, healthz 8080, readiness 8081, metrics 9153)",
  })
  .option('verbose', {
    type: 'boolean',
    default: false,
    describe: "Also print the processes' logs here (they always go to <state-dir>/logs/<name>.log)",
  })
  .strict()
  .help()
  .version('version', 'Print the version and exit', `kube-dns-pod version: ${packageVersion()} (kube-dns-legacy)`)
  .parseSync();

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function flagValue(spec: ProcessSpec | undefined, flag: string): string | undefined {
  const arg = spec?.args.find((a) => a.startsWith(`--${flag}=`) || a.startsWith(`-${flag}=`));
  return arg?.slice(arg.indexOf('=') + 1);
}

async function seedService(apiUrl: string, manifestPath: string): Promise<void> {
  const service = yaml
    .loadAll(await readFile(manifestPath, 'utf8'))
    .find((d) => (d as { kind?: string } | null)?.kind === 'Service') as
    | { metadata?: { namespace?: string } }
    | undefined;
  if (service === undefined) throw new Error(`${manifestPath}: no Service found`);
  const ns = service.metadata?.namespace ?? 'default';
  const res = await fetch(`${apiUrl}/api/v1/namespaces/${ns}/services`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(service),
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`creating the Service of ${manifestPath}: HTTP ${res.status} ${await res.text()}`);
}

/** A path relative to the working directory when it lies below it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

let supervisor: Supervisor | undefined;
let controlPlane: ControlPlane | undefined;
/** How to run kubectl against the API, when it is not the kubectl on PATH (the real control plane's own release). */
let kubectlCommand: string | undefined;

/** Stop the pod's processes, then the control plane if one was started. */
async function stopAll(): Promise<void> {
  await supervisor?.stop();
  await controlPlane?.stop();
}

async function main(): Promise<void> {
  const stateDir = resolve(argv['state-dir']);
  await mkdir(stateDir, { recursive: true });
  const ports = await choosePorts(argv['free-ports'], argv['dns-port']);
  const containers = await loadPodManifest(argv.manifest);
  const ownApi = argv.kubeconfig === undefined || argv.kubeconfig === '';
  await assertPortsFree(ports, ownApi ? [] : [API_PORT]);
  const sandbox = ownApi && argv.api === 'sandbox';
  const apiPort = ports.get(API_PORT) ?? API_PORT;
  let kubeconfig = ownApi ? join(stateDir, 'kubeconfig') : resolve(argv.kubeconfig as string);
  if (ownApi && argv.api === 'real') {
    out(
      '[local-pod] starting a real control plane (kube-apiserver, kube-controller-manager; built once into ~/.cache/kube-dns-legacy)',
    );
    const plane = await ControlPlane.start({ stateDir: join(stateDir, 'control-plane'), apiPort });
    controlPlane = plane;
    await plane.kubectl(['apply', '-f', join(repoRoot, 'manifests', 'rbac.yaml'), '-f', argv['service-manifest']]);
    kubeconfig = plane.kubeconfig;
    kubectlCommand = `${join(plane.binDir, 'kubectl')} --kubeconfig ${shortPath(kubeconfig)}`;
    out(`[local-pod] control plane: ${plane.url} (kubeconfig ${shortPath(kubeconfig)})`);
  }
  const specs: ProcessSpec[] = [];
  if (sandbox) {
    specs.push({
      name: 'apiserver',
      command: process.execPath,
      args: [
        join(repoRoot, 'packages', 'sandbox-apiserver', 'dist', 'main.js'),
        '--port',
        String(apiPort),
        '--kubeconfig',
        kubeconfig,
      ],
      env: {},
    });
  }
  specs.push(...planProcesses(containers, { repoRoot, stateDir, ports, kubeconfig, node: process.execPath }));

  const logDir = join(stateDir, 'logs');
  const pod = new Supervisor(specs, out, stateDir, undefined, { dir: logDir, echo: argv.verbose });
  supervisor = pod;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    out(`[local-pod] ${signal}: stopping`);
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  // npm does not always pass its SIGTERM on; when the parent is gone we are re-parented: stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent exited');
  }, 500).unref();

  const dnsPort = ports.get(POD_PORTS.dns) ?? POD_PORTS.dns;
  const etcdPort = ports.get(POD_PORTS.etcd) ?? POD_PORTS.etcd;
  const domain = (
    flagValue(
      specs.find((s) => s.name === 'kube2sky'),
      'domain',
    ) ?? 'cluster.local'
  ).replace(/\.$/, '');
  out(`[local-pod] starting ${specs.map((s) => s.name).join(', ')} (state in ${stateDir})`);
  pod.start();
  const started = Date.now();

  if (sandbox) {
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    for (;;) {
      try {
        await seedService(apiUrl, argv['service-manifest']);
        break;
      } catch (err) {
        if (Date.now() - started > 60_000) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  // Ready means: kube2sky has written its initial lists and swept stale records, skydns has loaded
  // them, and the name answers (the ports were free at start, so these are our own processes).
  const local = (port: number): number => ports.get(port) ?? port;
  const kube2skyReadiness = `http://127.0.0.1:${local(POD_PORTS.readiness)}/readiness`;
  const skydnsReadiness = `http://127.0.0.1:${local(POD_PORTS.metrics)}/readiness`;
  const httpOk = async (url: string): Promise<boolean> =>
    (await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined))?.status === 200;
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  const name = `kubernetes.default.svc.${domain}`;
  for (;;) {
    if (stopping) return;
    try {
      if (!(await httpOk(kube2skyReadiness)) || !(await httpOk(skydnsReadiness))) throw new Error('not ready');
      const addresses = await resolver.resolve4(name);
      out(
        `[local-pod] ready after ${((Date.now() - started) / 1000).toFixed(1)}s: kube2sky synced, skydns loaded, ${name} -> ${addresses.join(', ')}`,
      );
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  out(
    [
      `Health: healthz http://127.0.0.1:${local(POD_PORTS.healthz)}/healthz; kube2sky ${kube2skyReadiness} (and /healthz, /metrics); skydns http://127.0.0.1:${local(POD_PORTS.metrics)}/metrics`,
      `Logs: ${shortPath(logDir)}/<process>.log${argv.verbose ? '' : ' (--verbose prints them here too)'}`,
      '',
      `kube-dns-legacy is serving ${domain} on 127.0.0.1:${dnsPort} (UDP and TCP). Try:`,
      `  busybox nslookup kubernetes.default.svc.${domain} 127.0.0.1:${dnsPort}`,
      `  dig @127.0.0.1 -p ${dnsPort} +short kubernetes.default.svc.${domain}`,
      `  dig @127.0.0.1 -p ${dnsPort} SRV _https._tcp.kubernetes.default.svc.${domain}`,
      `  ${kubectlCommand ?? `kubectl --kubeconfig ${shortPath(kubeconfig)}`} create -f ${shortPath(join(repoRoot, 'manifests', 'examples', 'my-nginx.yaml'))}`,
      `  dig @127.0.0.1 -p ${dnsPort} +short my-nginx.default.svc.${domain}`,
      `  ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:${etcdPort} get --prefix /skydns/`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err: unknown) => {
  process.stderr.write(`kube-dns-pod: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
