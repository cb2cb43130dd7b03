import { Rng } from './random.js';

/** The directory every simulated person belongs to. */
export const USER_DIRECTORY = 'CORP';

/** The user the morning scenario makes misbehave; never one of the generated ids. */
export const SUSPICIOUS_USER_ID = 'mallory';

/** Qlik's own scheduler account: origin empty, context `/qrs/`, never a person. */
export const SYSTEM_ACCOUNT = { directory: 'INTERNAL', id: 'sa_scheduler' } as const;

/**
 * Always the first ids, so that every run with two or more users has the id from Qlik's
 * documentation examples and a non-ASCII id that decoders and hashing must get right.
 */
const FIXED_IDS = ['jdoe', 'åsa.lindström'] as const;

const FIRST_NAMES = [
  'anna',
  'ben',
  'carla',
  'david',
  'emma',
  'farid',
  'grace',
  'hugo',
  'ines',
  'jonas',
  'karin',
  'lars',
  'maria',
  'nils',
  'olivia',
  'peter',
  'rosa',
  'sam',
  'tina',
  'umar',
  'vera',
  'wei',
  'yusuf',
  'zoe',
  'björn',
  'jürgen',
  'zoë',
  'søren',
  'josé',
  'łukasz',
  'mónica',
  'ångela',
  'émile',
  'françois',
] as const;

const LAST_NAMES = [
  'smith',
  'jones',
  'brown',
  'taylor',
  'wilson',
  'clark',
  'lewis',
  'walker',
  'hall',
  'young',
  'andersson',
  'johansson',
  'nilsson',
  'berg',
  'meyer',
  'schmidt',
  'garcia',
  'rossi',
  'dubois',
  'novak',
  'müller',
  'lindström',
  'østergaard',
  'núñez',
  'wałęsa',
  'öberg',
  'çelik',
  'sjöberg',
] as const;

/**
 * `count` distinct, plausible user ids (`jdoe`, `anna.berg`, `jmüller`), deterministic from
 * the seed. Collisions get a number appended, as directory administrators do.
 */
export function buildUserIds(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  const ids: string[] = FIXED_IDS.slice(0, count);
  const taken = new Set<string>([...ids, SUSPICIOUS_USER_ID]);
  while (ids.length < count) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const base = rng.chance(0.5) ? `${first.charAt(0)}${last}` : `${first}.${last}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}${n}`;
    taken.add(id);
    ids.push(id);
  }
  return ids;
}
