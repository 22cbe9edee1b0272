import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './duration.js';

test('parses Go durations into milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['2s', 2_000],
    ['30s', 30_000],
    ['0', 0],
    ['0s', 0],
    ['300ms', 300],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['2h45m', 9_900_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['-1s', -1_000],
    ['+3s', 3_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
});

test('rejects what Go rejects', () => {
  for (const text of ['', '2', '10', 's', '1x', '1 s', 'abc', '1s2', '.s', '-', '1d']) {
    assert.throws(() => parseGoDuration(text), /invalid duration/, JSON.stringify(text));
  }
});

test('formats milliseconds as Go prints durations', () => {
  assert.equal(formatGoDuration(2_000), '2s');
  assert.equal(formatGoDuration(90_000), '1m30s');
  assert.equal(formatGoDuration(250), '250ms');
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  assert.equal(formatGoDuration(1_500), '1.5s');
  assert.equal(formatGoDuration(0), '0s');
});

test('bareSeconds: a bare number is seconds (the kube2sky and skydns flags); units still work', () => {
  assert.equal(parseGoDuration('5', { bareSeconds: true }), 5_000);
  assert.equal(parseGoDuration('0.5', { bareSeconds: true }), 500);
  assert.equal(parseGoDuration('1h2m3s', { bareSeconds: true }), 3_723_000);
  for (const text of ['1d', '2 s', '', '5x']) {
    assert.throws(() => parseGoDuration(text, { bareSeconds: true }), /invalid duration/, JSON.stringify(text));
  }
});
