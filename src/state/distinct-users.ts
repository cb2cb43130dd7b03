/**
 * Distinct users seen in a sliding window, exact at bucket granularity.
 *
 * Each user is remembered only at the bucket of their latest event, and every bucket knows how
 * many users have it as their latest. A user counts in a window iff their latest bucket is inside
 * it, so the answer is the sum of the per-bucket counts inside the window: O(buckets) per query,
 * O(1) per event, one map entry per user.
 *
 * Invariants (given non-decreasing buckets, which LiveState guarantees):
 * - `lastSeen` iterates in order of bucket, oldest first (a user is re-inserted when their
 *   bucket changes), so aged-out users are at the front;
 * - `usersPerBucket` iterates in ascending bucket order and holds no zero counts;
 * - the sum of `usersPerBucket` equals `lastSeen.size`.
 */
export class DistinctUsers {
  private readonly lastSeen = new Map<string, number>();
  private readonly usersPerBucket = new Map<number, number>();

  get size(): number {
    return this.lastSeen.size;
  }

  see(user: string, bucket: number): void {
    const previous = this.lastSeen.get(user);
    if (previous === bucket) return;
    if (previous !== undefined) {
      this.lastSeen.delete(user);
      this.decrement(previous);
    }
    this.lastSeen.set(user, bucket);
    this.usersPerBucket.set(bucket, (this.usersPerBucket.get(bucket) ?? 0) + 1);
  }

  forget(user: string): void {
    const previous = this.lastSeen.get(user);
    if (previous === undefined) return;
    this.lastSeen.delete(user);
    this.decrement(previous);
  }

  /** Users whose latest bucket is >= firstBucket. */
  count(firstBucket: number): number {
    let total = 0;
    for (const [bucket, users] of this.usersPerBucket) if (bucket >= firstBucket) total += users;
    return total;
  }

  /** Forgets users whose latest bucket is before `horizon`; O(users removed + 1). */
  prune(horizon: number): void {
    for (const [user, bucket] of this.lastSeen) {
      if (bucket >= horizon) break;
      this.lastSeen.delete(user);
      this.decrement(bucket);
    }
  }

  private decrement(bucket: number): void {
    const users = (this.usersPerBucket.get(bucket) ?? 0) - 1;
    if (users > 0) this.usersPerBucket.set(bucket, users);
    else this.usersPerBucket.delete(bucket);
  }
}
