import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

/**
 * A network namespace of the test's own with veth pairs to the root namespace, so a process in
 * it (`ip netns exec`) reaches the test only over links the test can cut. Names are unique per
 * run; `remove` deletes everything and is safe to call after a partial `create`.
 *
 * A cut is silent: a `pfifo` queue of length 0 on an end of the pair drops every packet leaving
 * it, so neither side gets a reset or an unreachable error, as when a firewall or a switch in
 * between starts dropping; one end alone cuts one direction. (netem and tc filters are not in
 * every kernel; pfifo is.)
 */

export interface VethLink {
  /** Interface name in the root namespace. */
  readonly outside: string;
  /** Interface name in the test's namespace. */
  readonly inside: string;
  readonly outsideAddress: string;
  readonly insideAddress: string;
}

/** iproute2's tool by name: on the PATH, or in /usr/sbin or /sbin, which not every user's PATH has. */
function iproute2(tool: 'ip' | 'tc'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  } catch {
    for (const candidate of [`/usr/sbin/${tool}`, `/sbin/${tool}`])
      if (existsSync(candidate)) return candidate;
    throw new Error(`${tool} is not installed: run "apt-get install -y iproute2"`);
  }
}

/** The `ip` executable, for running a process in the namespace (`ip netns exec`). */
export const IP = iproute2('ip');
const TC = iproute2('tc');

function ip(args: readonly string[]): string {
  return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tc(args: readonly string[], netns?: string): void {
  if (netns === undefined) execFileSync(TC, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  else ip(['netns', 'exec', netns, TC, ...args]);
}

export class TestNetns {
  private created = false;
  private readonly made: VethLink[] = [];
  /** Interfaces whose outgoing packets are dropped now. */
  private readonly dropping = new Set<string>();

  private constructor(readonly name: string) {}

  /**
   * A namespace with `links` veth pairs, link k on 10.199.<n>.<4k>/30 (outside .1, inside .2),
   * <n> drawn so that no address of this machine is in it. Throws, saying what is needed,
   * where network namespaces cannot be made (not root, no iproute2).
   */
  static create(links: number): TestNetns {
    const id = randomBytes(3).toString('hex');
    const netns = new TestNetns(`sense-chaos-${id}`);
    try {
      ip(['netns', 'add', netns.name]);
      netns.created = true;
    } catch (error) {
      throw new Error(
        `cannot create network namespace ${netns.name} (${firstLine(error)}): this test needs root and iproute2 ("ip netns", veth); run it as root (CI does), with iproute2 installed`,
        { cause: error },
      );
    }
    try {
      const subnet = freeSubnet();
      ip(['netns', 'exec', netns.name, 'ip', 'link', 'set', 'lo', 'up']);
      for (let k = 0; k < links; k++) {
        const link: VethLink = {
          outside: `sc${id}o${k}`,
          inside: `sc${id}i${k}`,
          outsideAddress: `10.199.${subnet}.${4 * k + 1}`,
          insideAddress: `10.199.${subnet}.${4 * k + 2}`,
        };
        ip(['link', 'add', link.outside, 'type', 'veth', 'peer', 'name', link.inside]);
        netns.made.push(link);
        ip(['link', 'set', link.inside, 'netns', netns.name]);
        ip(['addr', 'add', `${link.outsideAddress}/30`, 'dev', link.outside]);
        ip(['link', 'set', link.outside, 'up']);
        ip([
          'netns',
          'exec',
          netns.name,
          'ip',
          'addr',
          'add',
          `${link.insideAddress}/30`,
          'dev',
          link.inside,
        ]);
        ip(['netns', 'exec', netns.name, 'ip', 'link', 'set', link.inside, 'up']);
      }
    } catch (error) {
      netns.remove();
      throw error;
    }
    return netns;
  }

  get links(): readonly VethLink[] {
    return this.made;
  }

  /** `ip` arguments that run a command in the namespace: `ip netns exec <name> …`. */
  get execArgs(): readonly string[] {
    return ['netns', 'exec', this.name];
  }

  /**
   * Drops every packet leaving the given ends of the link, without telling either side:
   * `outside` is what the root namespace sends in, `inside` what the namespace sends out; both
   * (the default) cut the link both ways. An end already cut stays cut.
   */
  cut(link: VethLink, ends: readonly ('outside' | 'inside')[] = ['outside', 'inside']): void {
    for (const end of ends) {
      const key = link[end];
      if (this.dropping.has(key)) continue;
      tc(
        ['qdisc', 'add', 'dev', link[end], 'root', 'pfifo', 'limit', '0'],
        end === 'inside' ? this.name : undefined,
      );
      this.dropping.add(key);
    }
  }

  /** Undoes every `cut` of the link. */
  restore(link: VethLink): void {
    for (const end of ['outside', 'inside'] as const) {
      if (!this.dropping.delete(link[end])) continue;
      tc(['qdisc', 'del', 'dev', link[end], 'root'], end === 'inside' ? this.name : undefined);
    }
  }

  /** Deletes the pairs and the namespace; errors (already gone) are ignored. */
  remove(): void {
    for (const link of this.made.splice(0)) {
      try {
        ip(['link', 'del', link.outside]);
      } catch {
        // deleted with the namespace, or never moved out of it
      }
    }
    if (this.created) {
      this.created = false;
      try {
        ip(['netns', 'del', this.name]);
      } catch {
        // already gone
      }
    }
  }
}

/** A third octet n such that no address of this machine is in 10.199.n.0/24. */
function freeSubnet(): number {
  const used = ip(['-4', '-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const n = randomBytes(1)[0] ?? 0;
    if (!used.includes(`10.199.${n}.`)) return n;
  }
  throw new Error('no free 10.199.<n>.0/24 subnet for the test namespace');
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr !== '' ? stderr : String(error);
  return text.split('\n')[0]?.trim() ?? '';
}
