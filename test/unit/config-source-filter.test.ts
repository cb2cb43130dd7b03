import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSourceFilter } from '../../src/config/address-filter.js';
import { parseCidr, parseIp } from '../../src/config/ip.js';

interface FilterCase {
  name: string;
  allowed: string[];
  allow: string[];
  deny: string[];
}

const CASES = JSON.parse(
  readFileSync(new URL('../fixtures/config/source-filter-cases.json', import.meta.url), 'utf8'),
) as FilterCase[];

describe('createSourceFilter', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, filterCase) => {
    const isAllowed = createSourceFilter(filterCase.allowed);
    for (const address of filterCase.allow) expect([address, isAllowed(address)]).toEqual([address, true]);
    for (const address of filterCase.deny) expect([address, isAllowed(address)]).toEqual([address, false]);
  });

  it('throws on an entry the config loader would have refused', () => {
    expect(() => createSourceFilter(['10.0.0.300'])).toThrow('"10.0.0.300" is not an IP address or CIDR');
  });

  it('masks host bits instead of failing', () => {
    expect(createSourceFilter(['10.1.2.3/8'])('10.200.0.1')).toBe(true);
  });

  it('is fast: a million checks against a dozen entries well under a second', () => {
    const allowed = Array.from({ length: 12 }, (_, i) => `10.${i}.0.0/16`).concat(['fd00::/8']);
    const isAllowed = createSourceFilter(allowed);
    const start = performance.now();
    let hits = 0;
    for (let i = 0; i < 1_000_000; i++) if (isAllowed(i % 2 === 0 ? '10.11.3.4' : '192.168.0.1')) hits++;
    expect(hits).toBe(500_000);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('parseIp and parseCidr', () => {
  it.each([
    ['1.2.3.4', [0, 0, 0xffff, 0x01020304]],
    ['::ffff:1.2.3.4', [0, 0, 0xffff, 0x01020304]],
    ['::', [0, 0, 0, 0]],
    ['1::', [0x00010000, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]],
    ['2001:db8::8:800:200c:417a', [0x20010db8, 0, 0x00080800, 0x200c417a]],
    ['1:2:3:4:5:6:7:8', [0x00010002, 0x00030004, 0x00050006, 0x00070008]],
    ['1:2:3:4:5:6:1.2.3.4', [0x00010002, 0x00030004, 0x00050006, 0x01020304]],
  ])('reads %s', (text, words) => {
    expect(parseIp(text)).toEqual(words);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    ' 1.2.3.4',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '1:2:3:4:5:6:7::8',
    '12345::',
    'g::',
    '::1.2.3',
    '1.2.3.4::',
    ':1::',
  ])('refuses %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('reads prefixes and reports host bits with the network to write instead', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({
      prefix: 104,
      hostBitsSet: false,
      canonical: '10.0.0.0/8',
    });
    expect(parseCidr('10.1.2.3/8')).toMatchObject({ hostBitsSet: true, canonical: '10.0.0.0/8' });
    expect(parseCidr('2001:db8::1/32')).toMatchObject({
      prefix: 32,
      hostBitsSet: true,
      canonical: '2001:db8::/32',
    });
    expect(parseCidr('fe80::1')).toMatchObject({ prefix: 128, hostBitsSet: false });
    for (const bad of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      'fe80::1%eth0/64',
    ]) {
      expect([bad, parseCidr(bad)]).toEqual([bad, null]);
    }
  });
});
