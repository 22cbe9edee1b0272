import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeRecord,
  decodeRecord,
  RecordError,
  RECORD_DEFAULTS,
  RECORD_DEFAULTS_TAIL,
  type SkyRecord,
} from './record.js';
import { leafLabel, fnv1a32 } from './fnv.js';

const a = (host: string): SkyRecord => ({ host, priority: 10, weight: 10, ttl: 30 });

test('encoding is byte-identical to kube2sky', () => {
  const cases: Array<[SkyRecord, string]> = [
    [a('10.0.0.1'), '{"host":"10.0.0.1","priority":10,"weight":10,"ttl":30,"targetstrip":0}'],
    [
      { host: 'kubernetes.default.svc.cluster.local.', port: 443, priority: 10, weight: 10, ttl: 30 },
      '{"host":"kubernetes.default.svc.cluster.local.","port":443,"priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    ],
    [
      { host: '10.0.0.1', port: 0, priority: 10, weight: 10, ttl: 30, targetstrip: 0 },
      '{"host":"10.0.0.1","priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    ],
    [{ text: '1.1.0', ttl: 28800 }, '{"text":"1.1.0","ttl":28800,"targetstrip":0}'],
    [
      { host: 'mx.example.com', mail: true, group: 'g1', targetstrip: 1 },
      '{"host":"mx.example.com","mail":true,"targetstrip":1,"group":"g1"}',
    ],
    [{ text: 'a<b>&c' }, '{"text":"a\\u003cb\\u003e\\u0026c","targetstrip":0}'],
    [{}, '{"targetstrip":0}'],
  ];
  for (const [record, expected] of cases) assert.equal(encodeRecord(record), expected);
});

test("kube2sky's defaults and the tail they give every value it writes", () => {
  assert.deepEqual(RECORD_DEFAULTS, { priority: 10, weight: 10, ttl: 30 });
  assert.equal(RECORD_DEFAULTS_TAIL, ',"priority":10,"weight":10,"ttl":30,"targetstrip":0}');
  assert.ok(encodeRecord({ host: 'x', port: 80, ...RECORD_DEFAULTS }).endsWith(RECORD_DEFAULTS_TAIL));
});

test('leaf labels are FNV-1a of the exact value, unpadded lower-case hex', () => {
  const cases: Array<[string, string]> = [
    ['10.0.0.1', 'c88f1059'],
    ['10.0.0.10', '21172049'],
    ['10.0.183.39', 'e3b7df90'],
    ['10.244.1.5', '9e51737e'],
    ['10.244.2.7', 'c89ee3'],
  ];
  for (const [ip, label] of cases) assert.equal(leafLabel(encodeRecord(a(ip))), label, ip);
  // Without targetstrip the label differs: the layout matters.
  assert.equal(leafLabel('{"host":"10.0.183.39","priority":10,"weight":10,"ttl":30}'), 'a3f4311b');
  assert.equal(fnv1a32(''), 0x811c9dc5);
});

test('decoding round-trips every encoded record', () => {
  const records: SkyRecord[] = [
    a('10.0.0.1'),
    {
      host: 'x.example.',
      port: 53,
      priority: 20,
      weight: 5,
      text: 't',
      mail: true,
      ttl: 60,
      targetstrip: 2,
      group: 'g',
    },
    { text: 'only text' },
  ];
  for (const record of records) {
    assert.deepEqual(decodeRecord('/k', encodeRecord(record)), { targetstrip: 0, ...record });
  }
});

test('decoding accepts what the Go decoder accepted', () => {
  assert.deepEqual(decodeRecord('/k', '{"Host":"10.0.0.1","TTL":5,"Port":80}'), { host: '10.0.0.1', ttl: 5, port: 80 });
  assert.deepEqual(decodeRecord('/k', '{"host":"a","HOST":"b"}'), { host: 'b' }, 'the last duplicate wins');
  assert.deepEqual(
    decodeRecord('/k', '{"host":"a","view":"x","mask":1,"hosts":["b"]}'),
    { host: 'a' },
    'unknown fields ignored',
  );
  assert.deepEqual(decodeRecord('/k', '{"host":"a","port":null}'), { host: 'a' }, 'null leaves a field unset');
  assert.deepEqual(decodeRecord('/k', Buffer.from('{"host":"10.1.2.3"}')), { host: '10.1.2.3' });
});

test('decoding rejects bad values with the key and the field', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /^\/skydns\/x: not valid JSON/],
    ['', /not valid JSON/],
    ['[1,2]', /expected a JSON object, got an array/],
    ['null', /expected a JSON object, got null/],
    ['"10.0.0.1"', /expected a JSON object, got the string/],
    ['{"host":1}', /field "host": expected a string, got number 1/],
    ['{"ttl":"30"}', /field "ttl": expected an integer from 0 to 4294967295, got the string "30"/],
    ['{"ttl":-1}', /field "ttl"/],
    ['{"ttl":4294967296}', /field "ttl"/],
    ['{"Port":1.5}', /field "Port": expected an integer, got number 1.5/],
    ['{"mail":"yes"}', /field "mail": expected a boolean/],
    ['{"group":{}}', /field "group": expected a string, got an object/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => decodeRecord('/skydns/x', value),
      (err: unknown) => err instanceof RecordError && err.key === '/skydns/x' && message.test(err.message),
      value,
    );
  }
});
