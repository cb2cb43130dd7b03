/** True when Intl knows the IANA zone name (Europe/Stockholm, America/New_York, UTC, …). */
export function isValidTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
