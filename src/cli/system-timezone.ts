/** The machine's IANA zone: the default of `rules.timezone`. */
export function systemTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
