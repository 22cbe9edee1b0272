import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Packet, createServer } from 'dns2';
import { ManagedProcess, freeDnsPort, freePort, requireTool, waitFor } from '@kube-dns-legacy/testkit';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const NAME = 'kubernetes.default.svc.cluster.local';

/** The kube-dns pod's probe, as the local pod runs it: busybox nslookup against a DNS server on a loopback port. */
test('the manifest probe (nslookup of kubernetes.default) drives /healthz through a real DNS server', async () => {
  requireTool('busybox');
  let known = true;
  const dns = createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      if (known && question?.name.toLowerCase() === NAME && question.type === Packet.TYPE.A) {
        response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 30, address: '10.0.0.1' }));
      } else if (!known || question?.name.toLowerCase() !== NAME) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
      }
      send(response);
    },
  });
  const dnsPort = await freeDnsPort();
  await dns.listen({ udp: { port: dnsPort, address: '127.0.0.1' } });
  const port = await freePort();
  const healthz = new ManagedProcess('exechealthz', process.execPath, [
    MAIN,
    `-cmd=busybox nslookup ${NAME} 127.0.0.1:${dnsPort} >/dev/null`,
    `-port=${port}`,
    '-period=200ms',
  ]);
  const probe = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: await res.text() };
  };
  try {
    await healthz.waitForOutput(/serving \/healthz/);
    await waitFor('a successful nslookup run', async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /exechealthz_runs_total\{result="success"\} [1-9]/.test(text);
    });
    assert.deepEqual(await probe(), { status: 200, body: 'ok' });

    known = false;
    const failing = await waitFor(
      '503 once the name is gone',
      async () => {
        const answer = await probe();
        return answer.status === 503 ? answer : undefined;
      },
      10_000,
    );
    assert.match(
      failing.body,
      /^Healthz probe error: Result of last exec: .*, at .* \+0000 UTC, error exit status 1\n$/s,
    );

    known = true;
    await waitFor('200 again', async () => (await probe()).status === 200, 10_000);
  } finally {
    await healthz.stop();
    await dns.close();
  }
});
