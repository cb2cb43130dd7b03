/**
 * Which senders may talk to the UDP socket: `udp.allowedSources` turned into a predicate.
 *
 * Matching is Node's `net.BlockList`; parsing stays ours (ip.ts), because it also validates the
 * config and must accept exactly what the loader accepts. Every entry and every sender goes in
 * as 128-bit IPv6 (IPv4 as `::ffff:a.b.c.d`), so IPv4 entries match IPv4-mapped senders and
 * mapped entries match plain IPv4 senders, and `::/0` covers IPv4 too.
 *
 * Building a SocketAddress per check costs over a microsecond, far more than the match itself;
 * senders are a handful of proxy hosts, so each filter remembers its recent verdicts by the
 * address text (bounded, dropped whole when full: a flood of distinct senders costs only speed).
 */
import { BlockList, SocketAddress } from 'node:net';
import { formatIpv6, parseCidr, parseIp } from './ip.js';

const REMEMBERED_VERDICTS = 4096;

/**
 * A predicate over sender addresses as the socket reports them (`10.0.0.1`, `fe80::1%eth0`,
 * `::ffff:10.0.0.1`). The list is parsed once; an empty list allows everyone. Unparseable
 * senders are not allowed. Throws on an entry that is not an address or CIDR (the config loader
 * refuses those first).
 */
export function createSourceFilter(allowed: readonly string[]): (address: string) => boolean {
  if (allowed.length === 0) return () => true;
  const list = new BlockList();
  for (const entry of allowed) {
    const cidr = parseCidr(entry.trim());
    if (cidr === null) throw new Error(`"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8)`);
    list.addSubnet(formatIpv6(cidr.network), cidr.prefix, 'ipv6');
  }
  const verdicts = new Map<string, boolean>();
  const judge = (address: string): boolean => {
    const words = parseIp(address);
    if (words === null) return false;
    return list.check(new SocketAddress({ address: formatIpv6(words), family: 'ipv6' }));
  };
  return (address) => {
    const known = verdicts.get(address);
    if (known !== undefined) return known;
    const verdict = judge(address);
    if (verdicts.size >= REMEMBERED_VERDICTS) verdicts.clear();
    verdicts.set(address, verdict);
    return verdict;
  };
}
