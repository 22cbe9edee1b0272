import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIPv4, IPv4Allocator, parseIPv4 } from './cidr.js';

describe('IPv4 ClusterIP allocation', () => {
  it('parses and formats addresses', () => {
    assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
    assert.equal(formatIPv4(0xc0a80101), '192.168.1.1');
    for (const bad of ['10.0.0', '10.0.0.256', '01.0.0.1', 'a.b.c.d', '']) assert.equal(parseIPv4(bad), undefined, bad);
  });

  it('hands out the first usable address first, never the network or broadcast address, and reuses released ones', () => {
    const ips = new IPv4Allocator('10.0.0.0/30');
    assert.equal(ips.first, '10.0.0.1');
    assert.equal(ips.next(), '10.0.0.1');
    assert.equal(ips.next(), '10.0.0.2');
    assert.equal(ips.next(), undefined, 'a /30 has two usable addresses');
    ips.release('10.0.0.1');
    assert.equal(ips.next(), '10.0.0.1');
  });

  it('reserves given addresses and reports taken and out-of-range ones', () => {
    const ips = new IPv4Allocator('10.96.5.7/12');
    assert.equal(ips.first, '10.96.0.1', 'host bits of the CIDR are ignored');
    assert.equal(ips.reserve('10.96.0.10'), undefined);
    assert.equal(ips.reserve('10.96.0.10'), 'taken');
    assert.equal(ips.reserve('10.112.0.1'), 'not-in-range');
    assert.equal(ips.reserve('10.96.0.0'), 'not-in-range');
    assert.throws(() => new IPv4Allocator('10.0.0.0'), /invalid service CIDR/);
    assert.throws(() => new IPv4Allocator('fd00::/64'), /invalid service CIDR/);
  });
});
