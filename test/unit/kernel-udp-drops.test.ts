import { describe, expect, it } from 'vitest';
import { parseUdpDrops } from '../../src/ingest/kernel-udp-drops.js';

const TABLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:270D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 44556 2 0000000000000000 17
  124: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12345 2 0000000000000000 3
`;

describe('parseUdpDrops', () => {
  it('reads the drops column of the socket bound to the port', () => {
    expect(parseUdpDrops(TABLE, 9997)).toBe(17);
    expect(parseUdpDrops(TABLE, 68)).toBe(3);
  });

  it('says null when no socket has that port', () => {
    expect(parseUdpDrops(TABLE, 1234)).toBeNull();
    expect(parseUdpDrops('', 9997)).toBeNull();
  });
});
