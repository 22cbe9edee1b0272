import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdServer } from './etcd.js';

test('a real etcd starts on a free port, keeps data across a kill, and restarts empty', async () => {
  const etcd = await EtcdServer.start();
  try {
    await etcd.etcdctl('put', '/skydns/local/cluster/x', '{"host":"10.0.0.1"}');
    assert.deepEqual([...(await etcd.dump())], [['/skydns/local/cluster/x', '{"host":"10.0.0.1"}']]);
    await etcd.kill();
    assert.equal(etcd.running, false);
    await etcd.resume();
    assert.equal((await etcd.dump()).size, 1, 'data survives a crash');
    await etcd.kill();
    await etcd.resume({ empty: true });
    assert.equal((await etcd.dump()).size, 0, 'an empty restart loses the data');
  } finally {
    await etcd.stop();
  }
  assert.equal(etcd.running, false);
});
