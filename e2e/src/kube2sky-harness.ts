import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { leafLabel } from '@kube-dns-legacy/skymsg';
import { EtcdServer, ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';

const MAIN = fileURLToPath(new URL('../../packages/kube2sky/dist/main.js', import.meta.url));

/** The value kube2sky writes for an address (or CNAME target) record; used by process tests. */
export const a = (host: string): string => `{"host":"${host}","priority":10,"weight":10,"ttl":30,"targetstrip":0}`;
/** The value kube2sky writes for an SRV record. */
export const srv = (host: string, port: number): string =>
  `{"host":"${host}","port":${port},"priority":10,"weight":10,"ttl":30,"targetstrip":0}`;
/** The FNV leaf label of an address record (skymsg's contract). */
export const h = (ip: string): string => leafLabel(a(ip));
const VERSION_VALUE = '{"text":"1.1.0","ttl":28800,"targetstrip":0}';

/** What etcd holds with only the sandbox's `default/kubernetes` service. */
export function baseRecords(): Map<string, string> {
  return new Map([
    [`/skydns/local/cluster/dns-version/${leafLabel(VERSION_VALUE)}`, VERSION_VALUE],
    ['/skydns/local/cluster/svc/default/kubernetes/c88f1059', a('10.0.0.1')],
    [
      '/skydns/local/cluster/svc/default/kubernetes/_tcp/_https/c88f1059',
      srv('kubernetes.default.svc.cluster.local.', 443),
    ],
    ['/skydns/arpa/in-addr/10/0/0/1', a('kubernetes.default.svc.cluster.local.')],
  ]);
}

/** A real etcd, the sandbox API server and the built kube2sky, for process tests. */
export class Harness {
  kube2sky: ManagedProcess | undefined;
  healthzPort = 0;
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;

  private constructor(
    readonly etcd: EtcdServer,
    readonly api: SandboxApiServer,
  ) {
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
  }

  /** Start etcd and the sandbox (EndpointSlices served unless `endpointSlices` is false). */
  static async start(endpointSlices = true): Promise<Harness> {
    const etcd = await EtcdServer.start();
    try {
      return new Harness(etcd, await SandboxApiServer.start({ port: 0, endpointSlices, bookmarkIntervalMs: 1000 }));
    } catch (err) {
      await etcd.stop();
      throw err;
    }
  }

  /** Start the built kube2sky against both and wait until /readiness answers 200. */
  async startKube2sky(...extra: string[]): Promise<ManagedProcess> {
    this.healthzPort = await freePort();
    const proc = new ManagedProcess('kube2sky', 'node', [
      MAIN,
      `--etcd-server=${this.etcd.endpoint}`,
      `--kubecfg-file=${this.api.kubeconfigPath}`,
      `--healthz-port=${this.healthzPort}`,
      ...extra,
    ]);
    this.kube2sky = proc;
    await waitFor(
      'kube2sky /readiness to answer 200',
      async () => {
        if (!proc.alive) throw new Error(`kube2sky exited: ${proc.output}`);
        return (await fetch(`http://127.0.0.1:${this.healthzPort}/readiness`)).status === 200;
      },
      30_000,
      50,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc.output}`);
    });
    return proc;
  }

  /** SIGTERM kube2sky and check it exits 0. */
  async stopKube2sky(): Promise<void> {
    const code = await this.kube2sky?.stop('SIGTERM');
    assert.equal(code, 0, `kube2sky exit status; output:\n${this.kube2sky?.output ?? ''}`);
    this.kube2sky = undefined;
  }

  /** A counter or gauge value from kube2sky's /metrics (summed over labels matching `labels`). */
  async metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.healthzPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
        if (labels === '' || line.includes(labels)) sum += Number(line.split(' ').pop());
      }
    }
    return sum;
  }

  /** etcd's current revision (unchanged when nothing was written). */
  async revision(): Promise<number> {
    const out = JSON.parse(await this.etcd.etcdctl('get', 'no-such-key', '-w', 'json')) as {
      header: { revision: number };
    };
    return Number(out.header.revision);
  }

  /** Wait until `etcdctl get --prefix /skydns/` lists exactly `expected`; fails with a diff. */
  async expectEtcd(expected: ReadonlyMap<string, string>, what: string, timeoutMs = 15_000): Promise<void> {
    const sortedMap = (m: ReadonlyMap<string, string>): Map<string, string> =>
      new Map([...m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    const want = sortedMap(expected);
    let last = new Map<string, string>();
    try {
      await waitFor(
        what,
        async () => {
          last = sortedMap(await this.etcd.dump('/skydns/'));
          return JSON.stringify([...last]) === JSON.stringify([...want]);
        },
        timeoutMs,
        50,
      );
    } catch {
      assert.deepEqual(last, want, `${what}\nkube2sky output:\n${this.kube2sky?.output.slice(-4000) ?? ''}`);
    }
  }

  /** Stop everything this harness started. */
  async close(): Promise<void> {
    await this.kube2sky?.stop('SIGKILL');
    await this.api.stop();
    await this.etcd.stop();
  }
}
