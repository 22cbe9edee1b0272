import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerCache } from './answer-cache.js';
import { parseQuery, type WireQuery } from './wire.js';

/** A query message: header (id 0x0102, RD), one question, optionally an OPT record. */
function message(
  labels: readonly (string | Buffer)[],
  type = 1,
  qclass = 1,
  opt?: { size: number; do: boolean },
): Buffer {
  const name = Buffer.concat([
    ...labels.map((l) => {
      const b = typeof l === 'string' ? Buffer.from(l, 'latin1') : l;
      return Buffer.concat([Buffer.from([b.length]), b]);
    }),
    Buffer.from([0]),
  ]);
  const header = Buffer.from([1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, opt === undefined ? 0 : 1]);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(qclass, 2);
  const parts = [header, name, tail];
  if (opt !== undefined) {
    const rr = Buffer.alloc(11);
    rr.writeUInt16BE(41, 1);
    rr.writeUInt16BE(opt.size, 3);
    rr[7] = opt.do ? 0x80 : 0;
    parts.push(rr);
  }
  return Buffer.concat(parts);
}

function parsed(msg: Buffer): WireQuery {
  const outcome = parseQuery(msg);
  assert.equal(outcome.kind, 'query');
  return (outcome as { query: WireQuery }).query;
}

test('the question name is read as received, whenever it is asked for', () => {
  const a = message(['KuBe', 'default', 'svc']);
  const b = message(['other', 'ns']);
  const qa = parsed(a);
  const qb = parsed(b);
  assert.equal(qb.name, 'other.ns.');
  assert.equal(qa.name, 'KuBe.default.svc.', 'read after another query was parsed');
  assert.equal(qa.name, qa.name);
  assert.equal(qa.labelCount, 3);
  assert.equal(qa.plain, true);
  assert.equal(qa.questionEnd, a.length);
  assert.equal(parsed(message([])).name, '.');
  const odd = parsed(message([Buffer.from('a.b', 'latin1'), Buffer.from([0xe9, 0x41]), 'x']));
  assert.equal(odd.name, 'a.b.\u00e9A.x.');
  assert.equal(odd.plain, false);
  const long = Array.from({ length: 4 }, (_, i) => String.fromCharCode(97 + i).repeat(i === 3 ? 61 : 63)); // 255 bytes on the wire
  assert.equal(parsed(message(long)).name, `${long.join('.')}.`);
});

test('answer cache keys: the same for any letter case, different for type, class, transport, EDNS, DO and size limit', () => {
  const key = (msg: Buffer, limit = 512, tcp = false): string => AnswerCache.key(parsed(msg), msg, limit, tcp);
  const base = key(message(['kubernetes', 'default', 'svc']));
  assert.equal(key(message(['KUBERNETES', 'Default', 'SVC'])), base);
  const others = [
    key(message(['kubernetes', 'default', 'svd'])),
    key(message(['kubernetes', 'default', 'svc'], 28)),
    key(message(['kubernetes', 'default', 'svc'], 1, 3)),
    key(message(['kubernetes', 'default', 'svc']), 512, true),
    key(message(['kubernetes', 'default', 'svc']), 65535, false),
    key(message(['kubernetes', 'default', 'svc'], 1, 1, { size: 512, do: false })),
    key(message(['kubernetes', 'default', 'svc'], 1, 1, { size: 512, do: true })),
    key(message(['kubernetes', 'default', 'svc'], 1, 1, { size: 512, do: false }), 1232),
    key(message(['kubernetes', 'default', 'svc'], 1, 1, { size: 512, do: false }), 65535, true),
    key(message(['kubernetes', 'default', 'svc'], 1, 1, { size: 512, do: false }), 65535, false),
    key(message(['kubernetesdefault', 'svc'])),
  ];
  assert.equal(new Set([base, ...others]).size, others.length + 1, 'every variation has its own key');
  assert.equal(
    key(message(['\u00c9t\u00e9', 'svc'])) === key(message(['\u00e9t\u00e9', 'svc'])),
    false,
    'only ASCII letters fold (as DNS compares names)',
  );
});
