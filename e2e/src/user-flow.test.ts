import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecord, leafLabel, nameToKey, reverseName, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { parseEtcdctlGet, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { digShort, digStatus, kubectl, sh, startLocalPod, type LocalPod } from './pod.js';

// The user's flow of issue 6: `npm run up` (the local pod with the sandbox API), the commands it
// prints, `kubectl create -f`, `busybox nslookup`, `dig`, `kubectl delete`, `etcdctl get --prefix`.

let pod: LocalPod;

before(async () => {
  for (const tool of ['etcd', 'etcdctl', 'dig', 'busybox', 'kubectl']) requireTool(tool);
  pod = await startLocalPod();
});

after(async () => {
  await pod?.stop();
});

const value = (host: string, port?: number): string =>
  encodeRecord({ host, ...(port ? { port } : {}), priority: 10, weight: 10, ttl: 30 });
const label = (ip: string): string => leafLabel(value(ip));
const svcKey = (ns: string, svc: string, ...rest: string[]): string =>
  [nameToKey(`${svc}.${ns}.svc.cluster.local.`), ...rest].join('/');

/** What etcd must hold for a ClusterIP service: address, SRV per named port, PTR. */
function clusterIPRecords(
  ns: string,
  svc: string,
  ip: string,
  ports: Array<[proto: string, name: string, port: number]>,
): Array<[string, string]> {
  const fqdn = `${svc}.${ns}.svc.cluster.local.`;
  return [
    [svcKey(ns, svc, label(ip)), value(ip)],
    ...ports.map(([proto, name, port]): [string, string] => [
      svcKey(ns, svc, `_${proto}`, `_${name}`, label(ip)),
      value(fqdn, port),
    ]),
    [nameToKey(reverseName(ip)), value(fqdn)],
  ];
}

const versionRecord: SkyRecord = { text: '1.1.0', ttl: 28800 };
const baseRecords: Array<[string, string]> = [
  ...clusterIPRecords('default', 'kubernetes', '10.0.0.1', [['tcp', 'https', 443]]),
  ...clusterIPRecords('kube-system', 'kube-dns', '10.0.0.10', [
    ['udp', 'dns', 53],
    ['tcp', 'dns-tcp', 53],
  ]),
  [`${nameToKey('dns-version.cluster.local.')}/${leafLabel(encodeRecord(versionRecord))}`, encodeRecord(versionRecord)],
];

async function etcdListing(): Promise<Map<string, string>> {
  return parseEtcdctlGet(await sh(`ETCDCTL_API=3 etcdctl --endpoints=${pod.etcdEndpoint} get --prefix /skydns/`));
}

async function expectListing(expected: Array<[string, string]>): Promise<void> {
  const want = new Map(expected);
  await waitFor(
    'etcd to hold exactly the expected records',
    async () => {
      const got = await etcdListing();
      return got.size === want.size && [...want].every(([k, v]) => got.get(k) === v);
    },
    10_000,
  ).catch(async (err: Error) => {
    assert.deepEqual(
      Object.fromEntries([...(await etcdListing())].sort()),
      Object.fromEntries([...want].sort()),
      err.message,
    );
  });
}

test('the commands npm run up prints work as printed', async () => {
  const commands = pod.tryCommands;
  assert.equal(commands.length, 6, commands.join('\n'));
  const outputs: string[] = [];
  for (const command of commands) {
    // The created service takes a moment to reach DNS: retry only the lookup that follows the create.
    outputs.push(
      command.includes('my-nginx.default')
        ? await waitFor(command, async () => (await sh(command)).trim() || undefined, 10_000)
        : await sh(command),
    );
  }
  const [nslookup, digA, digSrv, create, digNginx, etcdctl] = outputs;
  assert.match(nslookup ?? '', /Name:\s+kubernetes\.default\.svc\.cluster\.local\s+Address: 10\.0\.0\.1/);
  assert.equal(digA?.trim(), '10.0.0.1');
  assert.match(
    digSrv ?? '',
    /^_https\._tcp\.kubernetes\.default\.svc\.cluster\.local\.\s+30\s+IN\s+SRV\s+10 100 443 kubernetes\.default\.svc\.cluster\.local\.$/m,
  );
  assert.match(
    digSrv ?? '',
    /^kubernetes\.default\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.0\.0\.1$/m,
    'glue in the additional section',
  );
  assert.equal(create?.trim(), 'service/my-nginx created');
  const ip = (await kubectl(pod, 'get', 'svc', 'my-nginx', '-o', 'jsonpath={.spec.clusterIP}')).trim();
  assert.match(ip, /^10\.0\.0\.\d+$/);
  assert.equal(digNginx?.trim(), ip);
  assert.match(etcdctl ?? '', /^\/skydns\/local\/cluster\/svc\/default\/kubernetes\/c88f1059$/m);
});

test('a service created with kubectl resolves, its SRV and PTR answer, and kubectl delete makes it NXDOMAIN', async () => {
  const ip = (await kubectl(pod, 'get', 'svc', 'my-nginx', '-o', 'jsonpath={.spec.clusterIP}')).trim();
  const nslookup = await sh(`busybox nslookup my-nginx.default.svc.cluster.local 127.0.0.1:${pod.dnsPort}`);
  assert.match(
    nslookup,
    new RegExp(`Name:\\s+my-nginx\\.default\\.svc\\.cluster\\.local\\s+Address: ${ip.replaceAll('.', '\\.')}`),
  );
  assert.deepEqual(await digShort(pod, '_http._tcp.my-nginx.default.svc.cluster.local', 'SRV'), [
    '10 100 80 my-nginx.default.svc.cluster.local.',
  ]);
  assert.deepEqual(await digShort(pod, ip, '', '-x'), ['my-nginx.default.svc.cluster.local.']);
  assert.deepEqual(await digShort(pod, '10.0.0.10', '', '-x'), ['kube-dns.kube-system.svc.cluster.local.']);

  await kubectl(pod, 'create', '-f', 'e2e/fixtures/web-headless.yaml');
  await waitFor(
    'the headless service in DNS',
    async () => (await digShort(pod, 'web.default.svc.cluster.local')).length === 2 || undefined,
  );
  assert.deepEqual(await digShort(pod, 'web.default.svc.cluster.local'), ['10.244.1.5', '10.244.2.7']);
  assert.deepEqual(await digShort(pod, 'web-0.web.default.svc.cluster.local'), ['10.244.1.5']);
  assert.deepEqual(await digShort(pod, '_http._tcp.web.default.svc.cluster.local', 'SRV'), [
    '10 50 8080 c89ee3.web.default.svc.cluster.local.',
    '10 50 8080 web-0.web.default.svc.cluster.local.',
  ]);

  const nginx = 'my-nginx.default.svc.cluster.local.';
  const web = (l: string): string => `${l}.web.default.svc.cluster.local.`;
  await expectListing([
    ...baseRecords,
    ...clusterIPRecords('default', 'my-nginx', ip, [['tcp', 'http', 80]]).map(([k, v]): [string, string] => [
      k,
      k.includes('/arpa/') ? value(nginx) : v,
    ]),
    [svcKey('default', 'web', 'web-0'), value('10.244.1.5')],
    [svcKey('default', 'web', 'c89ee3'), value('10.244.2.7')],
    [svcKey('default', 'web', '_tcp', '_http', 'web-0'), value(web('web-0'), 8080)],
    [svcKey('default', 'web', '_tcp', '_http', 'c89ee3'), value(web('c89ee3'), 8080)],
    [nameToKey(reverseName('10.244.1.5')), value(web('web-0'))],
  ]);

  assert.equal((await kubectl(pod, 'delete', 'svc', 'my-nginx')).trim(), 'service "my-nginx" deleted');
  await kubectl(pod, 'delete', '-f', 'e2e/fixtures/web-headless.yaml');
  await waitFor(
    'my-nginx to be NXDOMAIN',
    async () => (await digStatus(pod, 'my-nginx.default.svc.cluster.local')) === 'NXDOMAIN' || undefined,
  );
  assert.equal(await digStatus(pod, 'web.default.svc.cluster.local'), 'NXDOMAIN');
  await expectListing(baseRecords);
});
