// Propagation: time from the API call returning until skydns answers (creates) or says NXDOMAIN
// (deletes), for services created and deleted at a steady rate (issue 7, part 2), and the same for
// CoreDNS's kubernetes plugin watching the same real kube-apiserver, in the same run (issue 12). Prints numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEtcd, watchPrefix, type EtcdClient, type KeyValue } from '@kube-dns-legacy/etcdkit';
import { keyToName, labels, nameToKey } from '@kube-dns-legacy/skymsg';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { startCoredns, type PeerServer } from '../lib/peers.js';
import { CpuMeter } from '../lib/procfs.js';
import { Report, table } from '../lib/report.js';
import type { BarGroup } from '../lib/svg.js';
import { ApiClient, clusterIpService, watchNames } from '../lib/sandbox-client.js';
import {
  DOMAIN,
  kube2skyReady,
  metric,
  pidOf,
  startKube2sky,
  startRealApi,
  startSandbox,
  startSkydns,
  stopAll,
  type Kube2sky,
  type Sandbox,
  type Skydns,
} from '../lib/stack.js';
import { fmt, int, summarize, type Summary } from '../lib/stats.js';
import { QTYPES, UdpProbe } from '../lib/udp-probe.js';

const args = parseArgs(
  'bench-propagation',
  'Create, then delete, services at a steady rate through the API; time until skydns (and CoreDNS, on a real API server) answers (issues 7 and 12).',
  {
    services: ['services created and then deleted', 1000, 200],
    rate: ['API calls per second', 50, 50],
    'poll-ms': ['pause between two DNS polls of the same name after a negative reply, ms', 1, 1],
    'timeout-ms': ['give up on a name after this long, ms', 10_000, 10_000],
  },
  {
    api: [
      "the API server: a real kube-apiserver (CoreDNS's kubernetes plugin is then measured beside skydns), or the sandbox",
      ['real', 'sandbox'],
    ],
  },
);

const NAMESPACE = 'prop';

interface Sample {
  /** When the API call returned (performance.now()). */
  returned: number;
  /** From the API call returning to the first DNS reply of skydns showing the change (ms). */
  dns: number;
  /** The same for CoreDNS (NaN when not measured or never seen). */
  coredns: number;
  /** From the API call returning to kube2sky's etcd write being seen by an etcd watch (ms; negative when the write landed before the call returned); NaN if not seen. */
  etcd: number;
  /** From the API call returning to the event arriving on a watch of the sandbox API in this process (ms; may be negative); NaN if not seen. */
  api: number;
  polls: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `name` until `done(reply)` or the timeout; resolves with the time it became true (performance.now()) and the polls sent. */
async function pollUntil(
  probe: UdpProbe,
  name: string,
  done: (rcode: number, answers: number) => boolean,
): Promise<{ at: number; polls: number }> {
  const deadline = performance.now() + args['timeout-ms'];
  let polls = 0;
  while (performance.now() < deadline) {
    polls++;
    const reply = await probe.query(name, QTYPES.A, 500);
    if (reply !== undefined && done(reply.rcode, reply.answers)) return { at: performance.now(), polls };
    await sleep(args['poll-ms']);
  }
  return { at: NaN, polls };
}

/** Run one phase: `call(i)` at a steady rate; for each, time until DNS shows the change, at skydns and (when given) CoreDNS, polled side by side. */
async function phase(
  count: number,
  call: (i: number) => Promise<void>,
  probe: UdpProbe,
  peerProbe: UdpProbe | undefined,
  etcdSeen: Map<string, number>,
  apiSeen: Map<string, number>,
  done: (rcode: number, answers: number) => boolean,
): Promise<Sample[]> {
  const samples: Sample[] = new Array(count);
  const started = performance.now();
  const work: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / args.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    work.push(
      (async (): Promise<void> => {
        const service = `p-${i}`;
        etcdSeen.delete(service);
        apiSeen.delete(service);
        await call(i);
        const returned = performance.now();
        const name = `${service}.${NAMESPACE}.svc.${DOMAIN}`;
        const [ours, peer] = await Promise.all([
          pollUntil(probe, name, done),
          peerProbe === undefined ? undefined : pollUntil(peerProbe, name, done),
        ]);
        samples[i] = {
          returned,
          dns: ours.at - returned,
          coredns: peer === undefined ? NaN : peer.at - returned,
          etcd: NaN,
          api: NaN,
          polls: ours.polls + (peer?.polls ?? 0),
        };
      })(),
    );
  }
  await Promise.all(work);
  await sleep(200);
  for (let i = 0; i < count; i++) {
    const sample = samples[i] as Sample;
    const seen = etcdSeen.get(`p-${i}`);
    if (seen !== undefined) sample.etcd = seen - sample.returned;
    const event = apiSeen.get(`p-${i}`);
    if (event !== undefined) sample.api = event - sample.returned;
  }
  return samples;
}

function row(label: string, s: Summary, missing: number): string[] {
  return [label, int(s.n), fmt(s.p50, 1), fmt(s.p90, 1), fmt(s.p99, 1), fmt(s.max, 1), fmt(s.mean, 1), int(missing)];
}

async function main(): Promise<void> {
  const report =
    args.api === 'real'
      ? new Report(
          'propagation',
          'Propagation on a real kube-apiserver: API call → skydns and CoreDNS answers (e2e/bench/propagation)',
        )
      : new Report(
          'propagation-sandbox',
          'Propagation on the sandbox API: API call → skydns answer (e2e/bench/propagation --api sandbox)',
        );
  const dir = mkdtempSync(join(tmpdir(), 'bench-prop-'));
  let etcd: EtcdServer | undefined;
  let sandbox: Sandbox | undefined;
  let kube2sky: Kube2sky | undefined;
  let skydns: Skydns | undefined;
  let client: EtcdClient | undefined;
  let probe: UdpProbe | undefined;
  let coredns: PeerServer | undefined;
  let peerProbe: UdpProbe | undefined;
  try {
    etcd = await EtcdServer.start();
    sandbox = args.api === 'real' ? await startRealApi(dir) : await startSandbox(dir);
    const api = new ApiClient(sandbox.url, sandbox.credentials);
    await api.namespace(NAMESPACE);
    kube2sky = await startKube2sky(etcd, sandbox.kubeconfig);
    await kube2skyReady(kube2sky);
    skydns = await startSkydns(etcd);
    probe = await UdpProbe.open(skydns.dnsPort);
    // CoreDNS as clusters run it, but without its cache plugin: `cache 30` would keep serving a negative answer
    // asked before the event arrived for up to the negative TTL, which measures the cache, not the propagation.
    if (args.api === 'real') {
      coredns = await startCoredns(dir, {
        backend: { plugin: 'kubernetes', kubeconfig: sandbox.kubeconfig },
        cache: false,
      });
      peerProbe = await UdpProbe.open(coredns.port);
    }

    // The probe's own cost: round trips for a name that exists (the floor under every sample).
    const rtt: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await probe.query(`kubernetes.default.svc.${DOMAIN}`, QTYPES.A);
      rtt.push(performance.now() - t);
    }
    const floor = summarize(rtt);

    // An etcd watch in this process notes when kube2sky's write for each service lands (put or delete).
    client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
    const etcdSeen = new Map<string, number>();
    const svcKey = nameToKey(`${NAMESPACE}.svc.${DOMAIN}`);
    const note = (kv: KeyValue): void => {
      const service = labels(keyToName(kv.key))[1];
      if (service !== undefined && !etcdSeen.has(service)) etcdSeen.set(service, performance.now());
    };
    const { revision } = await client.status();
    let watching = false;
    const watcher = watchPrefix(client, `${svcKey}/`, revision + 1, {
      connected: () => (watching = true),
      disconnected: () => undefined,
      data: (res) => {
        for (const event of res.events) note(event.kv);
      },
    });
    await waitFor('the etcd watch', () => watching, 10_000, 10);
    // A watch on the sandbox API in this process notes when each service's event is delivered.
    const apiSeen = new Map<string, number>();
    const stopApiWatch = await watchNames(
      sandbox.url,
      `/api/v1/namespaces/${NAMESPACE}/services`,
      (type, name) => {
        if ((type === 'ADDED' || type === 'DELETED') && !apiSeen.has(name)) apiSeen.set(name, performance.now());
      },
      sandbox.credentials,
    );

    const txnCount = await metric(kube2sky.healthzPort, 'kube2sky_etcd_request_duration_seconds_count', 'op="txn"');
    const txnSum = await metric(kube2sky.healthzPort, 'kube2sky_etcd_request_duration_seconds_sum', 'op="txn"');
    const k2sCpu = new CpuMeter(pidOf(kube2sky.process));
    const skyCpu = new CpuMeter(pidOf(skydns.process));
    const apiCpu = new CpuMeter(pidOf(sandbox.process));
    const corednsCpu = coredns === undefined ? undefined : new CpuMeter(pidOf(coredns.process));
    const t0 = performance.now();
    const creates = await phase(
      args.services,
      (i) =>
        api
          .create(
            `/api/v1/namespaces/${NAMESPACE}/services`,
            clusterIpService(`p-${i}`, [{ name: 'http', port: 80, protocol: 'TCP' }]),
          )
          .then(() => undefined),
      probe,
      peerProbe,
      etcdSeen,
      apiSeen,
      (rcode, answers) => rcode === 0 && answers > 0,
    );
    const deletes = await phase(
      args.services,
      (i) => api.remove(`/api/v1/namespaces/${NAMESPACE}/services/p-${i}`),
      probe,
      peerProbe,
      etcdSeen,
      apiSeen,
      (rcode) => rcode === 3,
    );
    const wall = (performance.now() - t0) / 1000;
    api.close();
    const cpu = { kube2sky: k2sCpu.stop(), skydns: skyCpu.stop(), api: apiCpu.stop(), coredns: corednsCpu?.stop() };
    watcher.stop();
    stopApiWatch();
    const txns =
      (await metric(kube2sky.healthzPort, 'kube2sky_etcd_request_duration_seconds_count', 'op="txn"')) - txnCount;
    const txnMs =
      (1000 *
        ((await metric(kube2sky.healthzPort, 'kube2sky_etcd_request_duration_seconds_sum', 'op="txn"')) - txnSum)) /
      txns;

    const stats = (samples: Sample[], pick: (s: Sample) => number): { s: Summary; missing: number } => {
      const ok = samples.map(pick).filter((v) => Number.isFinite(v));
      return { s: summarize(ok), missing: samples.length - ok.length };
    };
    const c = stats(creates, (s) => s.dns);
    const d = stats(deletes, (s) => s.dns);
    const ce = stats(creates, (s) => s.etcd);
    const de = stats(deletes, (s) => s.etcd);
    const ca = stats(creates, (s) => s.api);
    const da = stats(deletes, (s) => s.api);
    const cc = stats(creates, (s) => s.coredns);
    const dc = stats(deletes, (s) => s.coredns);
    report.add(
      table(
        ['Measured (ms)', 'n', 'p50', 'p90', 'p99', 'max', 'mean', 'missing'],
        [
          row('create → skydns answers A', c.s, c.missing),
          ...(coredns === undefined ? [] : [row('create → CoreDNS (kubernetes) answers A', cc.s, cc.missing)]),
          row('delete → skydns says NXDOMAIN', d.s, d.missing),
          ...(coredns === undefined ? [] : [row('delete → CoreDNS (kubernetes) says NXDOMAIN', dc.s, dc.missing)]),
          row('create → watch event from the API (another watcher)', ca.s, ca.missing),
          row('delete → watch event from the API (another watcher)', da.s, da.missing),
          row('create → kube2sky put seen in etcd', ce.s, ce.missing),
          row('delete → kube2sky delete seen in etcd', de.s, de.missing),
          row('probe round trip (existing name)', floor, 0),
        ],
      ),
    );
    report.add(
      `kube2sky committed ${int(txns)} etcd transactions, ${fmt(txnMs, 1)} ms each on average (kube2sky_etcd_request_duration_seconds{op="txn"}).`,
    );
    const polls = [...creates, ...deletes].reduce((n, s) => n + s.polls, 0);
    const apiName = args.api === 'real' ? 'kube-apiserver' : 'sandbox API';
    report.add(
      `${int(args.services)} services created at ${args.rate}/s through the ${args.api === 'real' ? 'real kube-apiserver (packages/control-plane)' : 'sandbox API'} (POST), then deleted at the same rate (DELETE), one named port each. ` +
        `Each sample starts when the API call has returned; the name is then asked over UDP (one prebuilt query, ${args['poll-ms']} ms pause after each negative reply) until skydns ` +
        `answers with an A record (create) or NXDOMAIN (delete)${coredns === undefined ? '' : ', and in parallel the same of CoreDNS: its `kubernetes` plugin (`pods verified`, `ttl 30`) watching the same API server, without the `cache` plugin (with `cache 30` a negative answer asked before the event arrived is served until its TTL runs out, which would measure the cache)'}. ` +
        `The watch-event and etcd rows come from a watch on the ${apiName} and an etcd watch in the benchmark process, to show where skydns's time goes. ` +
        `The probe's own round trip (p50 ${fmt(floor.p50, 3)} ms) bounds the method's resolution; ${int(polls)} polls in all. ` +
        `CPU over the ${fmt(wall, 1)} s: kube2sky ${fmt(cpu.kube2sky.corePercent, 0)} %, skydns ${fmt(cpu.skydns.corePercent, 0)} %${cpu.coredns === undefined ? '' : `, CoreDNS ${fmt(cpu.coredns.corePercent, 0)} %`}, ${apiName} ${fmt(cpu.api.corePercent, 0)} % of a core.`,
    );
    if (coredns !== undefined) {
      const bars = (label: string, ours: Summary, peer: Summary): BarGroup => ({
        label,
        bars: [
          { series: 'skydns', value: ours.p99, note: `p50 ${fmt(ours.p50, 1)}` },
          { series: 'CoreDNS (kubernetes)', value: peer.p99, note: `p50 ${fmt(peer.p50, 1)}` },
        ],
      });
      report.chart('p99', {
        title: 'Propagation: API call returned → DNS shows the change, p99',
        unit: 'ms',
        lowerIsBetter: true,
        subtitle: `${int(args.services)} services at ${args.rate}/s on a real kube-apiserver, both servers polled side by side`,
        groups: [bars('create → A record', c.s, cc.s), bars('delete → NXDOMAIN', d.s, dc.s)],
      });
      report.goal(
        "create → answer p99 ≤ CoreDNS's",
        `skydns ${fmt(c.s.p99, 1)} ms vs CoreDNS ${fmt(cc.s.p99, 1)} ms (p50 ${fmt(c.s.p50, 1)} vs ${fmt(cc.s.p50, 1)}); never answered ${c.missing} vs ${cc.missing}`,
        c.missing === 0 && c.s.p99 <= cc.s.p99,
      );
      report.goal(
        "delete → NXDOMAIN p99 ≤ CoreDNS's",
        `skydns ${fmt(d.s.p99, 1)} ms vs CoreDNS ${fmt(dc.s.p99, 1)} ms (p50 ${fmt(d.s.p50, 1)} vs ${fmt(dc.s.p50, 1)}); never gone ${d.missing} vs ${dc.missing}`,
        d.missing === 0 && d.s.p99 <= dc.s.p99,
      );
      report.data['corednsCreates'] = cc.s;
      report.data['corednsDeletes'] = dc.s;
    }
    report.goal(
      'create → answer p99 ≤ 50 ms',
      `p99 ${fmt(c.s.p99, 1)} ms (p50 ${fmt(c.s.p50, 1)}, max ${fmt(c.s.max, 1)}), ${c.missing} never answered`,
      c.missing === 0 && c.s.p99 <= 50,
    );
    report.goal(
      'delete → NXDOMAIN p99 ≤ 50 ms',
      `p99 ${fmt(d.s.p99, 1)} ms (p50 ${fmt(d.s.p50, 1)}, max ${fmt(d.s.max, 1)}), ${d.missing} never gone`,
      d.missing === 0 && d.s.p99 <= 50,
    );
    report.data['creates'] = c.s;
    report.data['deletes'] = d.s;
    report.data['etcdCreates'] = ce.s;
    report.data['etcdDeletes'] = de.s;
    report.data['apiCreates'] = ca.s;
    report.data['apiDeletes'] = da.s;
    report.data['probe'] = floor;
    report.data['etcdTxn'] = { count: txns, meanMs: txnMs };
    report.write();
  } finally {
    probe?.close();
    peerProbe?.close();
    client?.close();
    await stopAll(skydns?.process, coredns?.process, kube2sky?.process, sandbox?.process);
    await sandbox?.stop?.();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
