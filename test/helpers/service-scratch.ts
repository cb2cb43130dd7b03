import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hiddenBy } from '../../src/service/linux-service.js';

/** True when the checkout sits where a sandboxed unit could not see it (e.g. a clone under /tmp). */
export const checkoutHidden = hiddenBy(resolve('.')) !== undefined;

/**
 * A fresh scratch folder that `service install`'s sandbox check accepts: the project's `.data/`,
 * unless the checkout itself is hidden, then the first writable folder outside every hidden prefix.
 */
export function serviceScratch(name: string): string {
  const candidates = [resolve('.data'), '/var/lib/sense-sidecar-tests', '/dev/shm/sense-sidecar-tests'];
  for (const parent of candidates) {
    if (hiddenBy(parent) !== undefined) continue;
    try {
      mkdirSync(parent, { recursive: true });
      return mkdtempSync(join(parent, `${name}-`));
    } catch {
      // not writable for this user: try the next
    }
  }
  throw new Error(
    `no scratch folder outside the service sandbox's hidden paths among ${candidates.join(', ')}`,
  );
}
