import type { RejectReason } from '../core/reject.js';

export interface RejectSummaryLine {
  readonly total: number;
  readonly byReason: Partial<Record<RejectReason, number>>;
  /** The first reject of the period, so the log line shows what the datagrams looked like. */
  readonly example: { readonly reason: RejectReason; readonly detail: string; readonly sender: string };
}

/**
 * Rejects are logged as a summary per period, never one line per datagram: a sender spraying
 * garbage must not flood the log. `take()` returns what accumulated since the last take.
 */
export class RejectSummary {
  private byReason: Partial<Record<RejectReason, number>> = {};
  private total = 0;
  private example: RejectSummaryLine['example'] | undefined;

  add(reason: RejectReason, detail: string, sender: string): void {
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    this.total++;
    this.example ??= { reason, detail, sender };
  }

  take(): RejectSummaryLine | null {
    if (this.example === undefined) return null;
    const line: RejectSummaryLine = { total: this.total, byReason: this.byReason, example: this.example };
    this.byReason = {};
    this.total = 0;
    this.example = undefined;
    return line;
  }
}
