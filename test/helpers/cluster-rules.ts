/**
 * The shipped node-silent cluster rule with a 1 s bar instead of a minute, so the aggregator's
 * own alert fires within a test.
 */
export const FAST_SILENCE = `scope: cluster
rules:
  - id: node-silent-fast
    description: A sidecar node is silent.
    severity: critical
    key: node
    when:
      all:
        - { fact: nodeSilent, operator: equal, value: true }
        - { fact: nodeSilentFor, operator: greaterThanInclusive, value: 1 }
    throttle: 1h
    resolve: true
    message: '{{node}} is silent ({{reason}})'
`;
