/**
 * The text of a caught value for log lines and problems. Only the message: an error's other
 * fields may carry connect options or secrets, so they never go into a log through this.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
