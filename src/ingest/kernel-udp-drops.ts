import { readFileSync } from 'node:fs';

/**
 * Linux exposes per-socket receive drops (datagrams the kernel discarded because the socket's
 * receive buffer was full) as the last column of /proc/net/udp and /proc/net/udp6. Other
 * systems do not; then the reading is null and the status says so.
 */

/** Drops of the socket bound to `port` in one /proc/net/udp{,6} table, or null when absent. */
export function parseUdpDrops(table: string, port: number): number | null {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let found: number | null = null;
  for (const line of table.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    const local = columns[1];
    const drops = columns[columns.length - 1];
    if (local === undefined || drops === undefined) continue;
    if (local.slice(local.lastIndexOf(':') + 1) !== portHex) continue;
    const value = Number(drops);
    if (Number.isInteger(value)) found = (found ?? 0) + value;
  }
  return found;
}

/**
 * Read synchronously on purpose: procfs tables are generated in memory (microseconds), and an
 * asynchronous read is five thread-pool hand-offs per file, which woke an idle node for nothing.
 */
export function readKernelUdpDrops(port: number): number | null {
  let total: number | null = null;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const drops = parseUdpDrops(table, port);
    if (drops !== null) total = (total ?? 0) + drops;
  }
  return total;
}
