import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@kube-dns-legacy/testkit';
import { sh, startLocalPod, type LocalPod } from '../src/pod.js';

// `npm run up -- --api real`: the local pod beside a real control plane, and the commands it prints.

let pod: LocalPod;

before(async () => {
  pod = await startLocalPod(['--api', 'real']);
});

after(async () => {
  await pod?.stop();
});

test('npm run up -- --api real serves the real cluster, and the commands it prints work as printed', async () => {
  assert.match(pod.process.output, /control plane: https:\/\/127\.0\.0\.1:\d+/);
  const commands = pod.tryCommands;
  assert.equal(commands.length, 6, commands.join('\n'));
  const [nslookup, digA, digSrv, create, digNginx, etcdctl] = [
    await sh(commands[0] ?? ''),
    await sh(commands[1] ?? ''),
    await sh(commands[2] ?? ''),
    await sh(commands[3] ?? ''),
    await waitFor(commands[4] ?? '', async () => (await sh(commands[4] ?? '')).trim() || undefined, 10_000),
    await sh(commands[5] ?? ''),
  ];
  assert.match(nslookup, /Name:\s+kubernetes\.default\.svc\.cluster\.local\s+Address: 10\.0\.0\.1/);
  assert.equal(digA.trim(), '10.0.0.1');
  assert.match(
    digSrv,
    /^_https\._tcp\.kubernetes\.default\.svc\.cluster\.local\.\s+30\s+IN\s+SRV\s+10 100 443 kubernetes\.default\.svc\.cluster\.local\.$/m,
  );
  assert.match(
    commands[3] ?? '',
    /kubernetes-v[\d.]+\/bin\/kubectl --kubeconfig \S+admin\.kubeconfig create -f/,
    "the printed kubectl is the control plane's own release",
  );
  assert.equal(create.trim(), 'service/my-nginx created');
  // The real API server picks ClusterIPs at random from the range.
  assert.match(digNginx.trim(), /^10\.0\.0\.\d+$/);
  assert.match(etcdctl, /^\/skydns\/local\/cluster\/svc\/kube-system\/kube-dns\/21172049$/m);
});
