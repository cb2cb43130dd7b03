/**
 * Did-you-mean for `timezone:` values. Validity itself is schedule.ts's `isValidTimeZone` (Intl
 * accepts the name), the same test the evaluator's clock depends on, so a zone the loader
 * accepted can never make the evaluator throw. `Intl.supportedValuesOf` is only the list for
 * suggestions: it omits names Intl still accepts (`UTC`, old aliases such as `Europe/Kiev`).
 */
import { closest } from '../../config/suggest.js';

export { isValidTimeZone } from '../schedule.js';

/** The closest known zone name: `Europe/Stokholm` → `Europe/Stockholm`, `stockholm` → `Europe/Stockholm`. */
export function suggestTimeZone(name: string): string | undefined {
  // Only on the error path, so the list is built per call rather than kept in module state.
  const known = ['UTC', ...Intl.supportedValuesOf('timeZone')];
  const wanted = name.trim();
  const city = wanted.toLowerCase().replace(/\s+/g, '_');
  // Operators often write only the city; the edit distance to `Area/City` is then too large.
  const byCity = known.find((zone) => zone.toLowerCase().endsWith(`/${city}`));
  return byCity ?? closest(wanted, known);
}
