import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { ResponseCache, cacheLifetime } from './response-cache.js';

const { Packet } = dns2;

function reply(options: {
  rcode?: number;
  answers?: Array<[string, number, string]>;
  soa?: [number, number];
  tc?: boolean;
}): Buffer {
  const p = new Packet();
  p.header.id = 7;
  p.header.qr = 1;
  p.header.rcode = options.rcode ?? 0;
  p.header.tc = options.tc ? 1 : 0;
  p.questions.push(new Packet.Question('www.example.org', 1, 1));
  for (const [name, ttl, address] of options.answers ?? []) {
    p.answers.push(Object.assign(new Packet.Resource(name, 1, 1, ttl), { address }));
  }
  if (options.soa !== undefined) {
    p.authorities.push(
      Object.assign(new Packet.Resource('example.org', 6, 1, options.soa[0]), {
        primary: 'ns.example.org',
        admin: 'hostmaster.example.org',
        serial: 1,
        refresh: 2,
        retry: 3,
        expiration: 4,
        minimum: options.soa[1],
      }),
    );
  }
  return p.toBuffer();
}

const ttlsOf = (b: Buffer): number[] => Packet.parse(b).answers.map((a) => a.ttl);

test('lifetimes: smallest answer TTL, SOA minimum for negative answers, nothing for failures or TC', () => {
  assert.equal(
    cacheLifetime(
      reply({
        answers: [
          ['www.example.org', 300, '192.0.2.1'],
          ['www.example.org', 120, '192.0.2.2'],
        ],
      }),
    ),
    120,
  );
  assert.equal(cacheLifetime(reply({ rcode: 3, soa: [3600, 30] })), 30);
  assert.equal(cacheLifetime(reply({ rcode: 0, soa: [20, 30] })), 20, 'NODATA: the smaller of SOA TTL and minimum');
  assert.equal(cacheLifetime(reply({ rcode: 3 })), undefined, 'negative without SOA');
  assert.equal(cacheLifetime(reply({ rcode: 2 })), undefined, 'SERVFAIL');
  assert.equal(cacheLifetime(reply({ tc: true, answers: [['www.example.org', 300, '192.0.2.1']] })), undefined);
  assert.equal(cacheLifetime(Buffer.from([1, 2, 3])), undefined);
});

test('TTLs count down; entries expire at their lifetime or -rcache-ttl; keys ignore case', () => {
  const cache = new ResponseCache(10, 60);
  const key = ResponseCache.key('WWW.Example.org.', 1, 1, false, false);
  assert.equal(key, ResponseCache.key('www.example.org.', 1, 1, false, false));
  assert.notEqual(key, ResponseCache.key('www.example.org.', 1, 1, false, true), 'transport is part of the key');
  assert.equal(
    cache.put(key, 'www.example.org.', reply({ answers: [['www.example.org', 300, '192.0.2.1']] }), 0),
    true,
  );
  assert.deepEqual(ttlsOf(cache.get(key, 10_500)!), [290]);
  assert.deepEqual(ttlsOf(cache.get(key, 59_000)!), [241]);
  assert.equal(cache.get(key, 60_000), undefined, 'capped at -rcache-ttl');
  assert.equal(cache.size, 0, 'expired entries are removed');
  cache.put(key, 'www.example.org.', reply({ rcode: 3, soa: [3600, 5] }), 0);
  assert.ok(cache.get(key, 4_999));
  assert.equal(cache.get(key, 5_000), undefined, 'negative answer kept for the SOA minimum');
  assert.equal(cache.put(key, 'www.example.org.', reply({ rcode: 2 }), 0), false);
});

test('capacity evicts the oldest; records changing at or below a name invalidate it and its ancestors', () => {
  const cache = new ResponseCache(2, 60);
  const r = reply({ answers: [['x', 30, '192.0.2.1']] });
  cache.put('a', '1.0.0.10.in-addr.arpa.', r, 0);
  cache.put('b', '0.0.10.in-addr.arpa.', r, 0);
  cache.put('c', 'other.example.', r, 0);
  assert.equal(cache.get('a', 1), undefined, 'oldest evicted');
  assert.equal(cache.size, 2);
  cache.put('a', '1.0.0.10.in-addr.arpa.', r, 0);
  cache.invalidate('1.0.0.10.in-addr.arpa.');
  assert.equal(cache.get('a', 1), undefined);
  assert.ok(cache.get('c', 1), 'unrelated names stay');
  const big = new ResponseCache(10, 60);
  big.put('parent', '0.0.10.in-addr.arpa.', r, 0);
  big.put('child', '5.0.0.10.in-addr.arpa.', r, 0);
  big.invalidate('1.0.0.10.in-addr.arpa.');
  assert.equal(big.get('parent', 1), undefined, 'an ancestor answers with the subtree, so it goes');
  assert.ok(big.get('child', 1), 'a sibling stays');
});
