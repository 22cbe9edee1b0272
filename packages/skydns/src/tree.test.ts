import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordTree } from './tree.js';

test('lookup: the subtree below a key, else the exact key; never a raw prefix', () => {
  const tree = new RecordTree();
  tree.set('/skydns/local/cluster/svc/default/my/a', { host: '10.0.0.1' });
  tree.set('/skydns/local/cluster/svc/default/my/_tcp/_http/b', { host: 'x.' });
  tree.set('/skydns/local/cluster/svc/default/my1/c', { host: '10.0.0.3' });
  tree.set('/skydns/local/cluster/svc/default/leaf', { host: '10.0.0.4' });
  const keys = (key: string): string[] | undefined => tree.lookup(key)?.map((r) => r.key);
  assert.deepEqual(keys('/skydns/local/cluster/svc/default/my'), [
    '/skydns/local/cluster/svc/default/my/_tcp/_http/b',
    '/skydns/local/cluster/svc/default/my/a',
  ]);
  assert.deepEqual(keys('/skydns/local/cluster/svc/default/leaf'), ['/skydns/local/cluster/svc/default/leaf']);
  assert.equal(keys('/skydns/local/cluster/svc/default/m'), undefined);
  assert.equal(keys('/skydns/local/cluster/svc/default/my/a/deeper'), undefined);
  assert.equal(tree.size, 4);
  // A value at a key that also has children: the children win (CoreDNS), the value is still exact.
  tree.set('/skydns/local/cluster/svc/default/my', { host: '10.0.0.9' });
  assert.equal(keys('/skydns/local/cluster/svc/default/my')?.length, 2);
  assert.equal(tree.exact('/skydns/local/cluster/svc/default/my')?.record.host, '10.0.0.9');
  assert.equal(tree.size, 5);
});

test('delete prunes empty branches; replacing a value does not change the size', () => {
  const tree = new RecordTree();
  tree.set('/skydns/a/b/c', { host: '10.0.0.1' });
  tree.set('/skydns/a/b/c', { host: '10.0.0.2' });
  assert.equal(tree.size, 1);
  assert.equal(tree.exact('/skydns/a/b/c')?.record.host, '10.0.0.2');
  assert.equal(tree.delete('/skydns/a/b'), false, 'no value there');
  assert.equal(tree.delete('/skydns/a/b/c'), true);
  assert.equal(tree.delete('/skydns/a/b/c'), false);
  assert.equal(tree.size, 0);
  assert.equal(tree.exists('/skydns/a'), false, 'branch pruned');
  assert.equal(tree.lookup('/skydns/a'), undefined);
  tree.set('/skydns/x/y', { host: '10.0.0.1' });
  tree.clear();
  assert.equal(tree.size, 0);
  assert.deepEqual(tree.entries(), []);
});
