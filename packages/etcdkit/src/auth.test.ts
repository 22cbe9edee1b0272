import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import {
  connectEtcd,
  EtcdEndpointError,
  redactEtcdUrl,
  redactEtcdUrls,
  splitEtcdCredentials,
  watchPrefix,
} from './index.js';

test('credentials in URLs are split off (percent-decoded), must agree, and are redacted for logs', () => {
  assert.deepEqual(
    splitEtcdCredentials([
      'http://kube2sky:p%40ss%3Aw0rd@10.0.0.1:2379',
      'https://kube2sky:p%40ss%3Aw0rd@10.0.0.2:2379',
    ]),
    {
      hosts: ['http://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      auth: { username: 'kube2sky', password: 'p@ss:w0rd' },
    },
  );
  assert.deepEqual(splitEtcdCredentials(['http://10.0.0.1:2379']), {
    hosts: ['http://10.0.0.1:2379'],
    auth: undefined,
  });
  const given = { username: 'u', password: 'p' };
  assert.deepEqual(splitEtcdCredentials(['http://10.0.0.1:2379'], given), {
    hosts: ['http://10.0.0.1:2379'],
    auth: given,
  });
  assert.deepEqual(splitEtcdCredentials(['http://u:p@10.0.0.1:2379'], given).auth, given);
  for (const [urls, message] of [
    [['http://a:secret1@10.0.0.1:2379', 'http://b:secret2@10.0.0.2:2379'], /name different credentials/],
    [['http://a:secret1@10.0.0.1:2379', 'http://a:secret2@10.0.0.2:2379'], /name different credentials/],
    [['http://a@10.0.0.1:2379'], /give both a user and a password/],
  ] as const) {
    assert.throws(
      () => splitEtcdCredentials(urls),
      (err: Error) => {
        assert.ok(err instanceof EtcdEndpointError);
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      },
    );
  }
  assert.throws(() => splitEtcdCredentials(['http://a:secret@10.0.0.1:2379'], given), /other credentials/);
  assert.equal(redactEtcdUrl('http://root:secret@10.0.0.1:2379'), 'http://root:***@10.0.0.1:2379');
  assert.equal(redactEtcdUrl('http://10.0.0.1:2379'), 'http://10.0.0.1:2379');
  assert.equal(redactEtcdUrl('not a url //root:secret@x'), 'not a url //root:***@x');
  assert.deepEqual(redactEtcdUrls(['https://a:b@h:1/', 'http://h:2']), ['https://a:***@h:1/', 'http://h:2']);
});

test('etcd with auth enabled: a client whose URL carries the user and password reads, writes and watches, and authenticates again after a restart; a wrong password is refused', async () => {
  const etcd = await EtcdServer.start();
  try {
    await etcd.etcdctl('user', 'add', 'root:rootpw');
    await etcd.etcdctl('role', 'add', 'dns');
    await etcd.etcdctl('role', 'grant-permission', 'dns', '--prefix=true', 'readwrite', '/skydns/');
    await etcd.etcdctl('user', 'add', 'kube2sky:s3cr%t@pw');
    await etcd.etcdctl('user', 'grant-role', 'kube2sky', 'dns');
    await etcd.etcdctl('auth', 'enable');
    const host = etcd.endpoint.replace('http://', '');
    const good = connectEtcd({
      endpoints: [`http://kube2sky:${encodeURIComponent('s3cr%t@pw')}@${host}`],
      dialTimeoutMs: 3000,
      callerRetries: true,
    });
    const wrong = connectEtcd({ endpoints: [`http://kube2sky:nope-secret@${host}`], dialTimeoutMs: 3000 });
    const anonymous = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
    try {
      await good.put('/skydns/x', '1');
      assert.equal(await good.get('/skydns/x'), '1');
      await assert.rejects(good.put('/other', '1'), /permission denied/);
      await assert.rejects(wrong.get('/skydns/x'), (err: Error) => {
        assert.match(err.message, /authentication failed/);
        assert.ok(!err.message.includes('nope-secret'), err.message);
        return true;
      });
      await assert.rejects(anonymous.get('/skydns/x'), /user name is empty|permission denied/);

      // A watch with the token; etcd restarted forgets its tokens: calls and the watch authenticate again.
      const seen: string[] = [];
      let connects = 0;
      const watch = watchPrefix(good, '/skydns/', (await good.status()).revision + 1, {
        connected: () => {
          connects++;
          return true;
        },
        disconnected: () => undefined,
        data: (res) => seen.push(...res.events.map((e) => `${e.kv.key}=${e.kv.value}`)),
      });
      await waitFor('the watch', () => connects === 1, 5000);
      await good.put('/skydns/y', '2');
      await waitFor('the put watched', () => seen.length === 1, 5000);
      await etcd.pause();
      await etcd.resume();
      assert.equal(await good.get('/skydns/y'), '2', 'the stale token is replaced');
      await waitFor('the watch back', () => connects === 2, 10_000);
      await good.put('/skydns/z', '3');
      await waitFor('the put after the restart watched', () => seen.length === 2, 5000);
      assert.deepEqual(seen, ['/skydns/y=2', '/skydns/z=3']);
      const forbidden = watchPrefix(good, '/other/', 1, {
        connected: () => true,
        disconnected: () => undefined,
        data: () => undefined,
      });
      const end = await forbidden.ended;
      assert.equal(end.by, 'etcd');
      assert.match(end.by === 'etcd' ? String(end.error?.message) : '', /permission denied/);
      watch.stop();
    } finally {
      good.close();
      wrong.close();
      anonymous.close();
    }
  } finally {
    await etcd.stop();
  }
});
