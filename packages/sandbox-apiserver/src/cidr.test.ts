import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIPv4, formatIPv6, IPAllocator, parseIP, parseIPv4, parseIPv6, serviceRanges } from './cidr.js';

describe('ClusterIP ranges and allocation', () => {
  it('parses and formats addresses', () => {
    assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
    assert.equal(formatIPv4(0xc0a80101), '192.168.1.1');
    for (const bad of ['10.0.0', '10.0.0.256', '01.0.0.1', 'a.b.c.d', '']) assert.equal(parseIPv4(bad), undefined, bad);
  });

  it('parses IPv6 in every spelling and formats it as Go does (lowercase, the longest zero run as ::)', () => {
    const cases: Array<[string, string]> = [
      ['::', '::'],
      ['::1', '::1'],
      ['FD00:10:0:0:0:0:0:A', 'fd00:10::a'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ];
    for (const [input, canonical] of cases) {
      const value = parseIPv6(input);
      assert.notEqual(value, undefined, input);
      assert.equal(formatIPv6(value as bigint), canonical, input);
    }
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '10.0.0.1', 'g::1', ''])
      assert.equal(parseIPv6(bad), undefined, bad);
    assert.deepEqual(parseIP('fd00::1'), { family: 'IPv6', value: (0xfd00n << 112n) | 1n });
    assert.equal(parseIP('10.0.0.1')?.family, 'IPv4');
  });

  it('hands out the first usable address first, never the network or IPv4 broadcast address, and reuses released ones', () => {
    const ips = new IPAllocator('10.0.0.0/30');
    assert.equal(ips.first, '10.0.0.1');
    assert.equal(ips.next(), '10.0.0.1');
    assert.equal(ips.next(), '10.0.0.2');
    assert.equal(ips.next(), undefined, 'a /30 has two usable addresses');
    ips.release('10.0.0.1');
    assert.equal(ips.next(), '10.0.0.1');

    const six = new IPAllocator('fd00:10::/126');
    assert.equal(six.family, 'IPv6');
    assert.deepEqual(
      [six.next(), six.next(), six.next(), six.next()],
      ['fd00:10::1', 'fd00:10::2', 'fd00:10::3', undefined],
      'IPv6 has no broadcast address: the last one is usable',
    );
  });

  it('reserves given addresses and reports taken and out-of-range ones', () => {
    const ips = new IPAllocator('10.96.5.7/12');
    assert.equal(ips.first, '10.96.0.1', 'host bits of the CIDR are ignored');
    assert.equal(ips.reserve('10.96.0.10'), undefined);
    assert.equal(ips.reserve('10.96.0.10'), 'taken');
    assert.equal(ips.reserve('10.112.0.1'), 'not-in-range');
    assert.equal(ips.reserve('10.96.0.0'), 'not-in-range');
    assert.equal(ips.reserve('fd00::1'), 'not-in-range');
    const six = new IPAllocator('fd00:10::/108');
    assert.equal(six.reserve('fd00:10:0:0:0:0:0:a'), undefined);
    assert.equal(six.reserve('fd00:10::a'), 'taken', 'the same address in another spelling');
    assert.equal(six.reserve('fd00:10::10:0'), 'not-in-range');
    assert.throws(() => new IPAllocator('10.0.0.0'), /invalid service CIDR/);
    assert.throws(() => new IPAllocator('10.0.0.0/31'), /prefix must be 1-30/);
    assert.throws(() => new IPAllocator('fd00::/127'), /prefix must be 1-126/);
  });

  it('reads a dual-stack --service-cluster-ip-range: one range of each family, the first primary', () => {
    assert.deepEqual(
      serviceRanges('10.0.0.0/24').map((r) => r.family),
      ['IPv4'],
    );
    assert.deepEqual(
      serviceRanges('fd00:10::/108,10.0.0.0/24').map((r) => r.family),
      ['IPv6', 'IPv4'],
    );
    assert.deepEqual(
      serviceRanges('10.0.0.0/24, fd00:10::/108').map((r) => r.cidr),
      ['10.0.0.0/24', 'fd00:10::/108'],
    );
    assert.throws(() => serviceRanges('10.0.0.0/24,10.1.0.0/24'), /one IPv4 and one IPv6/);
    assert.throws(() => serviceRanges('10.0.0.0/24,fd00::/108,10.1.0.0/24'), /separated by a comma/);
    assert.throws(() => serviceRanges('10.0.0.0/24,'), /separated by a comma/);
  });
});
