import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRr } from '../rr.js';
import { TreeBuilder, kubeA, testContext } from '../testing.js';
import { resolveQuery } from './index.js';

const NS = 2;

test('NS at the apex: the dns/ns records with glue, else the SOA server name; below the apex, no data', () => {
  const b = new TreeBuilder();
  b.leaf('kubernetes.default.svc.cluster.local.', kubeA('10.0.0.1'));
  const ctx = testContext(b.tree);
  const none = resolveQuery(ctx, { name: 'cluster.local.', type: NS, qclass: 1 });
  assert.equal(none.rcode, 'NOERROR');
  assert.deepEqual(none.answer.map(formatRr), ['cluster.local. 3600 NS ns.dns.cluster.local.']);
  assert.equal(none.authority.length, 0);
  b.at('ns1.ns.dns.cluster.local.', { host: '10.0.0.10' });
  b.at('ns2.ns.dns.cluster.local.', { host: 'not-an-ip.example.' });
  const listed = resolveQuery(ctx, { name: 'Cluster.Local.', type: NS, qclass: 1 });
  assert.deepEqual(listed.answer.map(formatRr), ['Cluster.Local. 3600 NS ns1.ns.dns.cluster.local.']);
  assert.deepEqual(listed.additional.map(formatRr), ['ns1.ns.dns.cluster.local. 3600 A 10.0.0.10']);
  const below = resolveQuery(ctx, { name: 'default.svc.cluster.local.', type: NS, qclass: 1 });
  assert.equal(below.rcode, 'NOERROR');
  assert.equal(below.answer.length, 0);
});
