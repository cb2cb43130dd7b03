/**
 * Defaults both programs share: the subject prefix and the JetStream stream names. The sidecars
 * create the streams; the aggregator consumes them, so the two must agree out of the box.
 */
export const DEFAULT_SUBJECT_PREFIX = 'sense';
export const DEFAULT_EVENTS_STREAM = 'SENSE_EVENTS';
export const DEFAULT_ALERTS_STREAM = 'SENSE_ALERTS';
