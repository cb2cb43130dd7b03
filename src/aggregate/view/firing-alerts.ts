import type { AlertRecord } from '../types.js';
import { compareText } from './order.js';

/**
 * The alerts firing now, by alert id: the notice with the highest notification number of each.
 * A resolved alert leaves a tombstone, so a late firing notice of it (redelivered after its
 * resolution) does not bring it back. Both maps hold at most `maxAlerts`, oldest out first;
 * firing alerts pushed out are counted.
 */
export class FiringAlerts {
  private readonly firing = new Map<string, AlertRecord>();
  /** Alert ids resolved, oldest first. */
  private readonly resolved = new Map<string, number>();
  private evictedCount = 0;

  constructor(private readonly maxAlerts: number) {}

  get evicted(): number {
    return this.evictedCount;
  }

  /** Takes one alert message (firing, repeat or resolved). */
  apply(notice: AlertRecord): void {
    if (notice.status === 'resolved') {
      this.firing.delete(notice.alertId);
      this.resolved.delete(notice.alertId);
      this.resolved.set(notice.alertId, notice.time);
      while (this.resolved.size > this.maxAlerts) {
        const oldest = this.resolved.keys().next();
        if (oldest.done === true) break;
        this.resolved.delete(oldest.value);
      }
      return;
    }
    if (this.resolved.has(notice.alertId)) return;
    this.setFiring(notice);
  }

  /** Keeps the notice with the highest notification number of a firing alert. */
  setFiring(notice: AlertRecord): void {
    const current = this.firing.get(notice.alertId);
    if (current !== undefined && current.notification >= notice.notification) return;
    if (current === undefined && this.firing.size >= this.maxAlerts) {
      const oldest = this.firing.keys().next();
      if (oldest.done !== true) {
        this.firing.delete(oldest.value);
        this.evictedCount += 1;
      }
    }
    this.firing.set(notice.alertId, notice);
  }

  /** Firing alerts (not resolved), most recent episode first. */
  list(): AlertRecord[] {
    return [...this.firing.values()].sort(
      (a, b) => b.firingSince - a.firingSince || compareText(a.alertId, b.alertId),
    );
  }

  /** Node → number of its alerts firing. */
  countByNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.firing.values()) out.set(a.node, (out.get(a.node) ?? 0) + 1);
    return out;
  }
}
