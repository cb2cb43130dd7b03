/** Which senders may talk to the UDP socket: `udp.allowedSources` turned into a fast predicate. */
import { parseCidr, parseIp, prefixMask, type Words } from './ip.js';

interface Rule {
  readonly network: Words;
  readonly mask: Words;
}

/**
 * A predicate over sender addresses as the socket reports them (`10.0.0.1`, `fe80::1%eth0`,
 * `::ffff:10.0.0.1`). The list is parsed once; an empty list allows everyone. IPv4 entries
 * also match IPv4-mapped IPv6 senders and vice versa. Unparseable senders are not allowed.
 * Throws on an entry that is not an address or CIDR (the config loader refuses those first).
 */
export function createSourceFilter(allowed: readonly string[]): (address: string) => boolean {
  if (allowed.length === 0) return () => true;
  const rules: Rule[] = allowed.map((entry) => {
    const cidr = parseCidr(entry.trim());
    if (cidr === null) throw new Error(`"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8)`);
    return { network: cidr.network, mask: prefixMask(cidr.prefix) };
  });
  return (address) => {
    const words = parseIp(address);
    if (words === null) return false;
    const [a0, a1, a2, a3] = words;
    for (const { network, mask } of rules) {
      if (
        (a0 & mask[0]) >>> 0 === network[0] &&
        (a1 & mask[1]) >>> 0 === network[1] &&
        (a2 & mask[2]) >>> 0 === network[2] &&
        (a3 & mask[3]) >>> 0 === network[3]
      ) {
        return true;
      }
    }
    return false;
  };
}
