import type { AlertOrigin, RouteSpec } from '../../config/alerting-schema.js';
import { compilePatternList, type PatternList } from '../../rules/engine/glob.js';

/**
 * Which receivers an alert notice goes to. Routes are tried in order; a matching route adds its
 * receivers and ends the search unless it says `continue: true` (first match, with an opt-in to
 * fall through, as Alertmanager does). A notice no route matches goes nowhere (counted).
 *
 * A route matches on the notice's severity, rule id (names or `*` globs, case-insensitive) and
 * origin: `cluster` for the aggregator's own cluster rules, `node` for a sidecar's.
 */

export interface RoutableNotice {
  readonly rule: string;
  readonly severity: string;
  readonly host: string;
}

interface CompiledRoute {
  readonly receivers: readonly string[];
  readonly severities: ReadonlySet<string> | null;
  readonly rules: PatternList | null;
  readonly origin: AlertOrigin;
  readonly continue: boolean;
}

export class Router {
  private readonly routes: readonly CompiledRoute[];

  /** `clusterHost`: the host the aggregator's own alerts carry (their origin is `cluster`). */
  constructor(
    routes: readonly RouteSpec[],
    private readonly clusterHost: string,
  ) {
    this.routes = routes.map((r) => ({
      receivers: r.receivers,
      severities: r.severities === null ? null : new Set(r.severities),
      rules: r.rules === null ? null : compilePatternList(r.rules),
      origin: r.origin,
      continue: r.continue,
    }));
  }

  /** Receiver names, each once, in the order the routes name them. */
  receiversFor(notice: RoutableNotice): string[] {
    const out = new Set<string>();
    const origin = notice.host === this.clusterHost ? 'cluster' : 'node';
    for (const route of this.routes) {
      if (route.severities !== null && !route.severities.has(notice.severity)) continue;
      if (route.rules !== null && !route.rules.matches(notice.rule)) continue;
      if (route.origin !== 'any' && route.origin !== origin) continue;
      for (const name of route.receivers) out.add(name);
      if (!route.continue) break;
    }
    return [...out];
  }
}
