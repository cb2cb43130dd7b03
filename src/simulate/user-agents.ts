/**
 * User-agent strings as current browsers send them (late 2025). Browsers freeze parts of the
 * string (Chrome reports `Windows NT 10.0` on Windows 11 and `Android 10; K`, Safari reports
 * macOS `10_15_7` and, since Safari 26, iOS `18_6`), so these are what a parser really sees.
 * Weights give a corporate mix: mostly Chrome and Edge on Windows desktops.
 */
export interface UserAgentSample {
  readonly ua: string;
  readonly browser: 'Chrome' | 'Edge' | 'Firefox' | 'Safari';
  readonly os: 'Windows' | 'macOS' | 'iOS' | 'Android' | 'Linux';
  readonly mobile: boolean;
  /** Relative share among corporate users. */
  readonly weight: number;
}

export const USER_AGENTS: readonly UserAgentSample[] = [
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
    browser: 'Chrome',
    os: 'Windows',
    mobile: false,
    weight: 30,
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
    browser: 'Chrome',
    os: 'Windows',
    mobile: false,
    weight: 8,
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0',
    browser: 'Edge',
    os: 'Windows',
    mobile: false,
    weight: 25,
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0',
    browser: 'Edge',
    os: 'Windows',
    mobile: false,
    weight: 6,
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0',
    browser: 'Firefox',
    os: 'Windows',
    mobile: false,
    weight: 5,
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0',
    browser: 'Firefox',
    os: 'Windows',
    mobile: false,
    weight: 3,
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15',
    browser: 'Safari',
    os: 'macOS',
    mobile: false,
    weight: 4,
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
    browser: 'Chrome',
    os: 'macOS',
    mobile: false,
    weight: 4,
  },
  {
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1',
    browser: 'Safari',
    os: 'iOS',
    mobile: true,
    weight: 3,
  },
  {
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1',
    browser: 'Safari',
    os: 'iOS',
    mobile: true,
    weight: 2,
  },
  {
    ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36',
    browser: 'Chrome',
    os: 'Android',
    mobile: true,
    weight: 3,
  },
  {
    ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0',
    browser: 'Firefox',
    os: 'Linux',
    mobile: false,
    weight: 2,
  },
];

export const DESKTOP_USER_AGENTS: readonly UserAgentSample[] = USER_AGENTS.filter((s) => !s.mobile);
export const MOBILE_USER_AGENTS: readonly UserAgentSample[] = USER_AGENTS.filter((s) => s.mobile);
