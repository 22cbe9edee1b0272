import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDnsLabel, leafLabel, nameToKey, reverseName } from '@kube-dns-legacy/skymsg';
import { waitFor } from '@kube-dns-legacy/testkit';
import { Cluster, diffRecords, diffSize, expectedRecords, kubeRecord } from './reliability-cluster.js';
import { QTYPE, tcpQuery, udpQuery } from './reliability-dns.js';

// API abuse: objects with missing fields and bad values the API server lets through, names at the
// length limits, malformed annotations, and 10,000 endpoints in one object. Each is handled (exact
// records, or none), logged and counted; kube2sky keeps running. v1 Endpoints are used (the sandbox
// serves no EndpointSlices here), so one object can carry 10,000 addresses and the annotation is read.

const HOSTNAMES = 'endpoints.beta.kubernetes.io/hostnames-map';

interface Subset {
  addresses?: { ip: string; hostname?: string }[];
  notReadyAddresses?: { ip: string }[];
  ports?: { name?: string; port: number; protocol?: string }[];
}

/** Headless services' records from their Endpoints, computed from the specification (docs/kube2sky.md). */
function headlessRecords(
  ns: string,
  name: string,
  subsets: readonly Subset[],
  annotation?: string,
): Map<string, string> {
  const out = new Map<string, string>();
  let map: Record<string, { HostName?: unknown }> = {};
  try {
    const parsed: unknown = annotation === undefined ? {} : JSON.parse(annotation);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) map = parsed as typeof map;
  } catch {
    map = {};
  }
  const fqdn = `${name}.${ns}.svc.cluster.local.`;
  const taken = new Map<string, string>();
  for (const subset of subsets) {
    for (const address of subset.addresses ?? []) {
      const wanted =
        address.hostname ??
        (typeof map[address.ip]?.HostName === 'string' ? String(map[address.ip]?.HostName) : undefined);
      const usable = wanted !== undefined && isDnsLabel(wanted) && (taken.get(wanted) ?? address.ip) === address.ip;
      const label = usable ? wanted : leafLabel(kubeRecord(address.ip));
      if (usable) taken.set(wanted, address.ip);
      out.set(`${nameToKey(fqdn)}/${label}`, kubeRecord(address.ip));
      if (usable) out.set(nameToKey(reverseName(address.ip)), kubeRecord(`${label}.${fqdn}`));
      for (const port of subset.ports ?? []) {
        if (!port.name) continue;
        out.set(
          `${nameToKey(`_${port.name}._${(port.protocol ?? 'TCP').toLowerCase()}.${fqdn}`)}/${label}`,
          kubeRecord(`${label}.${fqdn}`, port.port),
        );
      }
    }
  }
  return out;
}

let cluster: Cluster;
const headless = new Map<string, Map<string, string>>();

async function post(path: string, body: unknown): Promise<void> {
  const status = await cluster.apiSend('POST', path, body);
  assert.equal(status, 201, `POST ${path} ${JSON.stringify(body).slice(0, 200)}`);
}

async function headlessService(ns: string, name: string, subsets: Subset[], annotation?: string): Promise<void> {
  await post(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name },
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
  });
  await post(`/api/v1/namespaces/${ns}/endpoints`, {
    metadata: { name, ...(annotation === undefined ? {} : { annotations: { [HOSTNAMES]: annotation } }) },
    subsets,
  });
  headless.set(`${ns}/${name}`, headlessRecords(ns, name, subsets, annotation));
}

/** Wait until etcd holds exactly the records of every object (services, pods, and the headless ones). */
async function converge(what: string, timeoutMs = 60_000): Promise<void> {
  let last = '';
  await waitFor(
    what,
    async () => {
      const { services, pods } = await cluster.objects();
      const want = expectedRecords(services, pods);
      for (const records of headless.values()) for (const [k, v] of records) want.set(k, v);
      const diff = diffRecords(want, await cluster.etcd.dump('/skydns/'));
      last = JSON.stringify({
        missing: diff.missing.slice(0, 5),
        stale: diff.stale.slice(0, 5),
        wrong: diff.wrong.slice(0, 5),
        counts: [diff.missing.length, diff.stale.length, diff.wrong.length],
      });
      return diffSize(diff) === 0;
    },
    timeoutMs,
    250,
  ).catch((err: Error) => assert.fail(`${err.message}: ${last}\n${cluster.kube2sky?.output.slice(-3000) ?? ''}`));
}

before(async () => {
  cluster = await Cluster.start({ endpointSlices: false });
});

after(async () => {
  await cluster?.close();
});

test('missing fields, bad values and malformed annotations the API lets through: exact records, warnings, counted', async () => {
  const errors = await Cluster.metric(cluster.healthzPort, 'kube2sky_errors_total', 'kind="object"');
  await headlessService(
    'default',
    'holes',
    [
      {},
      { addresses: [{ ip: '10.1.0.2' }] },
      { addresses: [{ ip: '10.1.0.6' }], ports: [{ port: 9090 }] },
      { notReadyAddresses: [{ ip: '10.1.0.3' }], ports: [{ name: 'http', port: 80 }] },
      { addresses: [{ ip: '10.1.0.4' }, { ip: '10.1.0.5' }], ports: [{ name: 'http', port: 8080 }] },
    ],
    '{"10.1.0.4": {"HostName": "Not_A_Label!"}, "10.1.0.5": "no object"}',
  );
  await headlessService(
    'default',
    'garbled',
    [{ addresses: [{ ip: '10.1.1.1' }], ports: [{ name: 'http', port: 80 }] }],
    '{this is not json',
  );
  await headlessService(
    'default',
    'dupes',
    [{ addresses: [{ ip: '10.1.2.1' }, { ip: '10.1.2.2' }], ports: [{ name: 'http', port: 80 }] }],
    '{"10.1.2.1": {"HostName": "web"}, "10.1.2.2": {"HostName": "web"}}',
  );
  await post('/api/v1/namespaces/default/pods', {
    metadata: { name: 'nostatus' },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  });
  await post('/api/v1/namespaces/default/pods', {
    metadata: { name: 'badip' },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { podIP: 'garbage' },
  });
  await post('/api/v1/namespaces/default/pods', {
    metadata: { name: 'done' },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Succeeded', podIP: '10.244.7.7' },
  });
  await post('/api/v1/namespaces/default/pods', {
    metadata: { name: 'fine' },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: '10.244.7.8' },
  });
  await post('/api/v1/namespaces/default/services', {
    metadata: { name: 'badext' },
    spec: { type: 'ExternalName', externalName: 'two..dots.example.com' },
  });
  await converge('exact records for the objects with holes');
  await waitFor(
    'bad objects counted',
    async () => (await Cluster.metric(cluster.healthzPort, 'kube2sky_errors_total', 'kind="object"')) >= errors + 4,
    10_000,
    100,
  );
  const warnings = (cluster.kube2sky?.output ?? '').split('\n').filter((l) => l.includes('"level":"warn"'));
  for (const about of ['Not_A_Label', 'not valid JSON', 'garbage', 'two..dots']) {
    assert.ok(
      warnings.some((w) => w.includes(about)),
      `a warning about ${about}; warnings:\n${warnings.join('\n').slice(0, 3000)}`,
    );
  }
  assert.deepEqual(
    (await udpQuery(cluster.dnsPort, 'web.dupes.default.svc.cluster.local.', QTYPE.A)).answers.map((a) => a.data),
    ['10.1.2.1'],
  );
  assert.equal((await udpQuery(cluster.dnsPort, 'holes.default.svc.cluster.local.', QTYPE.A)).answers.length, 4);
  assert.ok(cluster.kube2sky?.alive);
});

test('names at the length limits (63-character namespace and service, 15-character port name) resolve', async () => {
  const ns = `n${'s'.repeat(61)}9`;
  const name = `s${'v'.repeat(61)}9`;
  const port = `p${'o'.repeat(13)}9`;
  await post('/api/v1/namespaces', { metadata: { name: ns } });
  await post(`/api/v1/namespaces/${ns}/services`, { metadata: { name }, spec: { ports: [{ name: port, port: 443 }] } });
  await converge('records for the longest names');
  const { services } = await cluster.objects();
  const ip = services.find((s) => s.metadata.name === name)?.spec?.clusterIP;
  const fqdn = `${name}.${ns}.svc.cluster.local.`;
  assert.deepEqual(
    (await udpQuery(cluster.dnsPort, fqdn, QTYPE.A)).answers.map((a) => a.data),
    [ip],
  );
  assert.deepEqual(
    (await tcpQuery(cluster.dnsPort, `_${port}._tcp.${fqdn}`, QTYPE.SRV)).answers.map((a) => a.data),
    [`10 100 443 ${fqdn}`],
  );
});

test('10,000 endpoints in one Endpoints object: every record written, then half removed exactly', async () => {
  const addresses = Array.from({ length: 10_000 }, (_, i) => ({
    ip: `10.2.${i >> 8}.${i & 255}`,
    ...(i % 10 === 0 ? { hostname: `pod-${i}` } : {}),
  }));
  const started = Date.now();
  await headlessService('default', 'crowd', [{ addresses, ports: [{ name: 'http', port: 80 }] }]);
  await converge('the 10,000 endpoints written', 120_000);
  const written = Date.now() - started;
  assert.equal(
    (await udpQuery(cluster.dnsPort, 'pod-5000.crowd.default.svc.cluster.local.', QTYPE.A)).answers[0]?.data,
    '10.2.19.136',
  );
  const t0 = Date.now();
  const half = addresses.slice(0, 5_000);
  assert.equal(
    await cluster.apiSend('PUT', '/api/v1/namespaces/default/endpoints/crowd', {
      metadata: { name: 'crowd' },
      subsets: [{ addresses: half, ports: [{ name: 'http', port: 80 }] }],
    }),
    200,
  );
  headless.set(
    'default/crowd',
    headlessRecords('default', 'crowd', [{ addresses: half, ports: [{ name: 'http', port: 80 }] }]),
  );
  await converge('half of the endpoints removed', 120_000);
  console.log(`10,000 endpoints (21,000 keys) written in ${written} ms; 5,000 removed in ${Date.now() - t0} ms`);
  assert.equal(
    (await udpQuery(cluster.dnsPort, 'pod-5000.crowd.default.svc.cluster.local.', QTYPE.A)).rcode,
    'NXDOMAIN',
  );
  assert.ok(cluster.kube2sky?.alive);
});
