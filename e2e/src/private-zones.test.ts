import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeDnsConfigMap, requireTool, startDnsmasq, waitFor, type Dnsmasq } from '@kube-dns-legacy/testkit';
import { digShort, kubectl, repoRoot, startLocalPod, type LocalPod } from './pod.js';

// Issue 14 end to end: the user's kube-dns ConfigMap, created with the real kubectl in the local
// pod's sandbox API, reaches skydns through kube2sky and etcd (manifests/skydns-rc.yaml as it is,
// -stubzones included; only -nameservers added so that the default upstream is one we run):
// stubDomains send acme.local to its dnsmasq, upstreamNameservers send everything else to theirs.

const dir = mkdtempSync(join(tmpdir(), 'kdl-private-zones-'));
let pod: LocalPod;
/** The pod's default upstream (skydns -nameservers): the public view, where acme.local is another address. */
let defaultUpstream: Dnsmasq;
/** The private zone's first server and the one that replaces it. */
let stub: Dnsmasq;
let newStub: Dnsmasq;
/** The ConfigMap's upstream nameserver. */
let upstream: Dnsmasq;

const PUBLIC_ACME = '192.0.2.53';
const PUBLIC_EXAMPLE = '192.0.2.80';
const PRIVATE_ACME = '10.150.0.5';
const NEW_PRIVATE_ACME = '10.150.0.6';
const UPSTREAM_EXAMPLE = '198.51.100.1';

before(async () => {
  for (const tool of ['etcd', 'dig', 'kubectl', 'dnsmasq']) requireTool(tool);
  defaultUpstream = await startDnsmasq(dir, 'acme.local', [
    [PUBLIC_ACME, 'www.acme.local'],
    [PUBLIC_EXAMPLE, 'www.example.org'],
  ]);
  stub = await startDnsmasq(dir, 'acme.local', [[PRIVATE_ACME, 'www.acme.local']]);
  newStub = await startDnsmasq(dir, 'acme.local', [[NEW_PRIVATE_ACME, 'www.acme.local']]);
  upstream = await startDnsmasq(dir, 'example.org', [[UPSTREAM_EXAMPLE, 'www.example.org']]);
  const manifest = readFileSync(join(repoRoot, 'manifests', 'skydns-rc.yaml'), 'utf8');
  const flag = '            - -stubzones\n';
  assert.ok(manifest.includes(flag), 'the manifest runs skydns with -stubzones');
  const path = join(dir, 'skydns-rc.yaml');
  writeFileSync(path, manifest.replace(flag, `${flag}            - -nameservers=127.0.0.1:${defaultUpstream.port}\n`));
  pod = await startLocalPod(['--manifest', path]);
});

after(async () => {
  await pod?.stop();
  for (const d of [defaultUpstream, stub, newStub, upstream]) await d?.process.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The kube-dns ConfigMap in a file for `kubectl -f`. */
function configMapFile(stubDomains: string, upstreamNameservers: string): string {
  const path = join(dir, 'kube-dns.yaml');
  writeFileSync(path, kubeDnsConfigMap(stubDomains, upstreamNameservers));
  return path;
}

/** The A answers for www.acme.local and www.example.org through skydns, as `acme example`. */
async function answers(): Promise<string> {
  return `${(await digShort(pod, 'www.acme.local')).join(',')} ${(await digShort(pod, 'www.example.org')).join(',')}`;
}

async function expectAnswers(what: string, acme: string, example: string): Promise<void> {
  let last = '';
  await waitFor(
    what,
    async () => {
      last = await answers();
      return last === `${acme} ${example}`;
    },
    20_000,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: last answers ${last}\n${pod.process.output.slice(-3_000)}`);
  });
}

/** kube2sky's count of refused ConfigMaps, from the /metrics next to the /readiness the pod printed. */
async function configMapErrors(): Promise<number> {
  const url = /kube2sky (http:\/\/127\.0\.0\.1:\d+)\/readiness/.exec(pod.process.output)?.[1];
  assert.ok(url, 'the pod printed where kube2sky listens');
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/kube2sky_errors_total\{kind="configmap"\} (\d+)/.exec(text)?.[1] ?? 0);
}

const skydnsPid = (): string => readFileSync(join(pod.stateDir, 'skydns.pid'), 'utf8').trim();

test('the kube-dns ConfigMap through kubectl, kube2sky, etcd and skydns: stub zone and upstream servers answer', async () => {
  await expectAnswers('no ConfigMap: both names from the default upstream', PUBLIC_ACME, PUBLIC_EXAMPLE);
  const pid = skydnsPid();

  await kubectl(
    pod,
    'create',
    '-f',
    configMapFile(`{"acme.local": ["127.0.0.1:${stub.port}"]}`, `["127.0.0.1:${upstream.port}"]`),
  );
  await expectAnswers(
    'acme.local from its stub server, the rest from the upstream nameserver',
    PRIVATE_ACME,
    UPSTREAM_EXAMPLE,
  );
  assert.deepEqual(
    await digShort(pod, 'kubernetes.default.svc.cluster.local'),
    ['10.0.0.1'],
    'the cluster domain is still answered by skydns itself',
  );

  // A new stub server instead of the first: picked up from the watch, no restart.
  await kubectl(
    pod,
    'replace',
    '-f',
    configMapFile(`{"acme.local": ["127.0.0.1:${newStub.port}"]}`, `["127.0.0.1:${upstream.port}"]`),
  );
  await expectAnswers('acme.local from the new stub server', NEW_PRIVATE_ACME, UPSTREAM_EXAMPLE);

  // Invalid content (four upstream nameservers; a stub domain inside the cluster domain): refused
  // whole, counted, and the last valid configuration keeps answering.
  const errors = await configMapErrors();
  await kubectl(
    pod,
    'replace',
    '-f',
    configMapFile(
      `{"acme.local": ["127.0.0.1:${defaultUpstream.port}"]}`,
      `["127.0.0.1:${defaultUpstream.port}", "10.0.0.2", "10.0.0.3", "10.0.0.4"]`,
    ),
  );
  await waitFor('the first invalid ConfigMap counted', async () => (await configMapErrors()) === errors + 1, 20_000);
  await kubectl(
    pod,
    'replace',
    '-f',
    configMapFile(`{"svc.cluster.local": ["127.0.0.1:${defaultUpstream.port}"]}`, '[]'),
  );
  await waitFor('the second invalid ConfigMap counted', async () => (await configMapErrors()) === errors + 2, 20_000);
  assert.equal(await answers(), `${NEW_PRIVATE_ACME} ${UPSTREAM_EXAMPLE}`, 'the last valid configuration stays');

  // Deleted: acme.local and the rest go back to skydns's -nameservers.
  await kubectl(pod, 'delete', 'configmap', 'kube-dns', '-n', 'kube-system');
  await expectAnswers('the default upstream again', PUBLIC_ACME, PUBLIC_EXAMPLE);
  assert.equal(skydnsPid(), pid, 'skydns was never restarted');
});
