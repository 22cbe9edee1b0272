import { isIP } from 'node:net';
import { join } from 'node:path';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import {
  dnsNameProblem,
  encodeRecord,
  fqdn,
  leafLabel,
  nameToKey,
  podLabel,
  reverseName,
  type SkyRecord,
} from '@kube-dns-legacy/skymsg';
import { EtcdServer, ManagedProcess, freeDnsPort, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot } from './pod.js';
import { QTYPE, startUpstream, udpQuery } from './reliability-dns.js';

// The pod's pipeline as separate real processes (etcd, kube2sky, skydns) around an in-process sandbox
// API server, so a test can kill, restart and starve each part on its own.

const KUBE2SKY = join(repoRoot, 'packages', 'kube2sky', 'dist', 'main.js');
const SKYDNS = join(repoRoot, 'packages', 'skydns', 'dist', 'main.js');
const DOMAIN = 'cluster.local.';

/** A Service or Pod as the API lists it (only the fields the records depend on). */
export interface ApiObject {
  metadata: { name: string; namespace: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: { name?: string; port: number; protocol?: string }[];
  };
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
}

/** The value kube2sky writes for an address (or, with a port, an SRV) record. */
export const kubeRecord = (host: string, port?: number): string =>
  encodeRecord({
    host,
    ...(port === undefined ? {} : { port }),
    priority: 10,
    weight: 10,
    ttl: 30,
  } satisfies SkyRecord);

/**
 * The records the API objects call for, computed here from the specification (docs/kube2sky.md) with
 * skymsg only: ClusterIP/NodePort/LoadBalancer and ExternalName services, pods, and the schema version.
 * Headless services are not part of the churn and are left out.
 */
export function expectedRecords(services: readonly ApiObject[], pods: readonly ApiObject[]): Map<string, string> {
  const out = new Map<string, string>();
  const version = encodeRecord({ text: '1.1.0', ttl: 28800 });
  out.set(`${nameToKey(`dns-version.${DOMAIN}`)}/${leafLabel(version)}`, version);
  for (const svc of services) {
    const name = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${DOMAIN}`;
    const key = nameToKey(name);
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') {
      if (dnsNameProblem(spec.externalName ?? '') !== undefined) continue;
      const value = kubeRecord(spec.externalName ?? '');
      out.set(`${key}/${leafLabel(value)}`, value);
      continue;
    }
    const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(
      (ip) => ip !== 'None' && ip !== '',
    );
    if (ips.length === 0) continue;
    for (const ip of ips) {
      const value = kubeRecord(ip);
      out.set(`${key}/${leafLabel(value)}`, value);
      out.set(nameToKey(reverseName(ip)), kubeRecord(name));
    }
    const primary = leafLabel(kubeRecord(ips[0] ?? ''));
    for (const port of spec.ports ?? []) {
      if (!port.name) continue;
      out.set(
        `${nameToKey(`_${port.name}._${(port.protocol ?? 'TCP').toLowerCase()}.${name}`)}/${primary}`,
        kubeRecord(name, port.port),
      );
    }
  }
  for (const pod of pods) {
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const ips = (pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : [])).filter(
      (ip) => isIP(ip) !== 0,
    );
    for (const ip of ips) {
      const value = kubeRecord(ip);
      out.set(`${nameToKey(`${podLabel(ip)}.${pod.metadata.namespace}.pod.${DOMAIN}`)}/${leafLabel(value)}`, value);
    }
  }
  return out;
}

/** Keys missing, stale (present but unwanted) and wrong (different value) between desired and actual. */
export interface RecordDiff {
  readonly missing: string[];
  readonly stale: string[];
  readonly wrong: string[];
}

/** Compare the desired records with what etcd holds. */
export function diffRecords(desired: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): RecordDiff {
  const missing = [...desired.keys()].filter((k) => !actual.has(k));
  const stale = [...actual.keys()].filter((k) => !desired.has(k));
  const wrong = [...desired].filter(([k, v]) => actual.has(k) && actual.get(k) !== v).map(([k]) => k);
  return { missing, stale, wrong };
}

/** The total number of differing keys. */
export function diffSize(diff: RecordDiff): number {
  return diff.missing.length + diff.stale.length + diff.wrong.length;
}

/** A skydns process on free ports. */
export interface Skydns {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly metricsPort: number;
}

/**
 * Start the built skydns for `cluster.local.` against an etcd and wait until it logs that it is ready.
 * With `raised`, it runs at nice -15 (we are root), so stalls measured in it are its own and not the
 * scheduler serving the other work on this shared machine.
 */
export async function startSkydns(
  etcdEndpoint: string,
  extra: readonly string[] = [],
  raised = false,
): Promise<Skydns> {
  const port = await freeDnsPort();
  const metricsPort = await freePort();
  const args = [
    SKYDNS,
    `-machines=${etcdEndpoint}`,
    `-addr=127.0.0.1:${port}`,
    `-domain=${DOMAIN}`,
    '-no-rec',
    `-metrics-port=${metricsPort}`,
    ...extra,
  ];
  const proc = raised
    ? new ManagedProcess('skydns', 'nice', ['-n', '-15', 'node', ...args])
    : new ManagedProcess('skydns', 'node', args);
  await proc.waitForOutput(/ready for queries/, 30_000);
  await waitFor(
    'skydns /readiness 200',
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readiness`)).status === 200,
    30_000,
    50,
  );
  return { process: proc, port, metricsPort };
}

/** Put a record the way kube2sky does: its exact JSON under the FNV leaf label (or `label`); returns the key. */
export async function putRecord(etcd: EtcdServer, name: string, record: SkyRecord, label?: string): Promise<string> {
  const value = encodeRecord(record);
  const key = `${nameToKey(name)}/${label ?? leafLabel(value)}`;
  await etcd.etcdctl('put', key, value);
  return key;
}

/** What the cluster needs of its etcd: a single server (EtcdServer) or several members (EtcdCluster). */
export interface EtcdBackend {
  /** The client URL, or a comma-separated list of them. */
  readonly endpoint: string;
  dump(prefix?: string): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

/** How to start a Cluster. */
export interface ClusterOptions<E extends EtcdBackend> {
  readonly skydnsArgs?: readonly string[];
  readonly endpointSlices?: boolean;
  /** The etcd to use (default: a new EtcdServer); the cluster stops it on close. */
  readonly etcd?: E;
  /** Extra kube2sky flags (e.g. etcd TLS files). */
  readonly kube2skyArgs?: readonly string[];
}

/** etcd, the sandbox API server, kube2sky and skydns, each restartable. */
export class Cluster<E extends EtcdBackend = EtcdServer> {
  kube2sky: ManagedProcess | undefined;
  skydns: ManagedProcess | undefined;
  /** Output of processes that were killed or restarted (kept for failure messages). */
  readonly history: string[] = [];

  private constructor(
    readonly etcd: E,
    readonly api: SandboxApiServer,
    readonly dnsPort: number,
    readonly healthzPort: number,
    readonly metricsPort: number,
    private readonly skydnsExtra: readonly string[],
    private readonly kube2skyExtra: readonly string[],
    private readonly upstream: { readonly queries: number; close(): void },
  ) {}

  /** Start everything and wait until kube2sky is ready and skydns answers `kubernetes.default`. */
  static async start<E extends EtcdBackend = EtcdServer>(options: ClusterOptions<E> = {}): Promise<Cluster<E>> {
    const etcd = options.etcd ?? ((await EtcdServer.start()) as EtcdBackend as E);
    let api: SandboxApiServer | undefined;
    try {
      api = await SandboxApiServer.start({
        port: 0,
        bookmarkIntervalMs: 1000,
        endpointSlices: options.endpointSlices ?? true,
      });
      // ExternalName targets resolve through a tiny upstream that answers 192.0.2.1 for every name.
      const upstreamPort = await freeDnsPort();
      const upstream = await startUpstream(upstreamPort);
      const skydnsArgs = [`-nameservers=127.0.0.1:${upstreamPort}`, '-rtimeout=500ms', ...(options.skydnsArgs ?? [])];
      const cluster = new Cluster(
        etcd,
        api,
        await freeDnsPort(),
        await freePort(),
        await freePort(),
        skydnsArgs,
        options.kube2skyArgs ?? [],
        upstream,
      );
      await cluster.startKube2sky();
      await cluster.startSkydns();
      return cluster;
    } catch (err) {
      await api?.stop();
      await etcd.stop();
      throw err;
    }
  }

  /** Questions the stand-in upstream server has received (skydns forwards only names outside the domain). */
  get upstreamQueries(): number {
    return this.upstream.queries;
  }

  /** Start kube2sky (the built dist/main.js) and wait for /readiness 200. */
  async startKube2sky(): Promise<void> {
    const proc = new ManagedProcess('kube2sky', 'node', [
      KUBE2SKY,
      `--etcd-server=${this.etcd.endpoint}`,
      `--kubecfg-file=${this.api.kubeconfigPath}`,
      `--healthz-port=${this.healthzPort}`,
      '--etcd-mutation-timeout=2s',
      ...this.kube2skyExtra,
    ]);
    this.kube2sky = proc;
    await waitFor(
      'kube2sky /readiness 200',
      async () => {
        if (!proc.alive) throw new Error(`kube2sky exited: ${proc.output}`);
        return (await fetch(`http://127.0.0.1:${this.healthzPort}/readiness`)).status === 200;
      },
      60_000,
      50,
    );
  }

  /** Start skydns (the built dist/main.js) and wait until it answers `kubernetes.default`. */
  async startSkydns(): Promise<void> {
    const proc = new ManagedProcess('skydns', 'node', [
      SKYDNS,
      `-machines=${this.etcd.endpoint}`,
      `-addr=127.0.0.1:${this.dnsPort}`,
      `-domain=${DOMAIN}`,
      `-metrics-port=${this.metricsPort}`,
      ...this.skydnsExtra,
    ]);
    this.skydns = proc;
    await waitFor(
      'skydns to answer kubernetes.default',
      async () => {
        if (!proc.alive) throw new Error(`skydns exited: ${proc.output}`);
        const reply = await udpQuery(this.dnsPort, `kubernetes.default.svc.${DOMAIN}`, QTYPE.A, 500);
        return reply.rcode === 'NOERROR' && reply.answers.length > 0;
      },
      60_000,
      100,
    );
  }

  /** SIGKILL kube2sky (its output is kept in `history`). */
  async killKube2sky(): Promise<void> {
    await this.kube2sky?.stop('SIGKILL');
    this.history.push(this.kube2sky?.output ?? '');
  }

  /** SIGKILL skydns (its output is kept in `history`). */
  async killSkydns(): Promise<void> {
    await this.skydns?.stop('SIGKILL');
    this.history.push(this.skydns?.output ?? '');
  }

  /** GET a path of the sandbox API as JSON. */
  async apiGet<T>(path: string): Promise<T> {
    const res = await fetch(`${this.api.url}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Send a request to the sandbox API; resolves with the status (never throws on HTTP errors). */
  async apiSend(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<number> {
    const res = await fetch(`${this.api.url}${path}`, {
      method,
      headers: { 'content-type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Every service and pod in the API. */
  async objects(): Promise<{ services: ApiObject[]; pods: ApiObject[] }> {
    const services = (await this.apiGet<{ items: ApiObject[] }>('/api/v1/services')).items;
    const pods = (await this.apiGet<{ items: ApiObject[] }>('/api/v1/pods')).items;
    return { services, pods };
  }

  /** The difference between what the API objects call for and what etcd holds now. */
  async diff(): Promise<RecordDiff> {
    const { services, pods } = await this.objects();
    return diffRecords(expectedRecords(services, pods), await this.etcd.dump('/skydns/'));
  }

  /** Wait until etcd holds exactly the desired records; fails with the last diff and kube2sky's output. */
  async converge(what: string, timeoutMs = 60_000): Promise<void> {
    let last: RecordDiff = { missing: [], stale: [], wrong: [] };
    try {
      await waitFor(
        what,
        async () => {
          last = await this.diff();
          return diffSize(last) === 0;
        },
        timeoutMs,
        200,
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}: ${JSON.stringify(last).slice(0, 3000)}\nkube2sky:\n${this.kube2sky?.output.slice(-3000) ?? ''}`,
      );
    }
  }

  /**
   * Check that every service answers: A with its cluster IPs, CNAME with its external name. Returns the names checked.
   * etcd having converged does not mean skydns has seen the last watch events yet, so wrong answers are asked
   * again until `timeoutMs` has passed; the failure lists what was still wrong then.
   */
  async checkAnswers(timeoutMs = 5_000): Promise<number> {
    const { services } = await this.objects();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const problems = await this.wrongAnswers(services);
      if (problems.length === 0) return services.length;
      if (Date.now() >= deadline) throw new Error(`wrong answers:\n${problems.slice(0, 20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async wrongAnswers(services: ApiObject[]): Promise<string[]> {
    const problems: string[] = [];
    for (let i = 0; i < services.length; i += 16) {
      await Promise.all(
        services.slice(i, i + 16).map(async (svc) => {
          const name = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${DOMAIN}`;
          const external = svc.spec?.type === 'ExternalName';
          // An ExternalName answers with a CNAME to its target, followed by the upstream's address.
          const want = external
            ? ['192.0.2.1', fqdn(svc.spec?.externalName ?? '').toLowerCase()]
            : [...(svc.spec?.clusterIPs ?? [])].sort();
          let got: string[] = [];
          for (let attempt = 0; attempt < 3; attempt++) {
            try {
              const reply = await udpQuery(this.dnsPort, name, QTYPE.A, 1_000);
              got = reply.answers.map((a) => a.data).sort();
              if (reply.rcode !== 'NOERROR') got = [reply.rcode];
              break;
            } catch (err) {
              got = [(err as Error).message];
            }
          }
          if (JSON.stringify(got) !== JSON.stringify(want))
            problems.push(`${name}: want ${want.join(',')}, got ${got.join(',')}`);
        }),
      );
    }
    return problems;
  }

  /** A value from a Prometheus text page (summed over lines whose labels contain `labels`). */
  static async metric(port: number, name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
        sum += Number(line.split(' ').pop());
    }
    return sum;
  }

  /** Stop everything this cluster started. */
  async close(): Promise<void> {
    await this.kube2sky?.stop('SIGKILL');
    await this.skydns?.stop('SIGKILL');
    this.upstream.close();
    await this.api.stop();
    await this.etcd.stop();
  }
}
