import { describe, expect, it } from 'vitest';
import { readEnvironment, splitList } from '../../src/config/env.js';
import { formatIssue } from '../../src/config/issues.js';

describe('readEnvironment', () => {
  it('maps variables to config paths, splitting lists', () => {
    const { values, issues } = readEnvironment({
      SENSE_SIDECAR_UDP_PORT: '4444',
      SENSE_SIDECAR_NATS_SERVERS: ' nats://a:4222 , b:4222,, ',
      SENSE_SIDECAR_DATA_DIR: 'C:\\ProgramData\\sense-sidecar',
    });
    expect(issues).toEqual([]);
    expect(Object.fromEntries(values)).toEqual({
      'udp.port': '4444',
      'nats.servers': ['nats://a:4222', 'b:4222'],
      dataDir: 'C:\\ProgramData\\sense-sidecar',
    });
  });

  it('matches names case-insensitively, as Windows does', () => {
    const { values, issues } = readEnvironment({ Sense_Sidecar_Log_Level: 'debug' });
    expect(issues).toEqual([]);
    expect(values.get('log.level')).toBe('debug');
  });

  it('skips unset variables and empty scalars', () => {
    const { values } = readEnvironment({ SENSE_SIDECAR_UDP_PORT: undefined, SENSE_SIDECAR_UDP_HOST: '' });
    expect(values.size).toBe(0);
  });

  it('reports unknown variables with the closest name', () => {
    const { issues } = readEnvironment({
      SENSE_SIDECAR_NATS_SERVER: 'x',
      SENSE_SIDECAR_UDP_RECIEVE_BUFFER_BYTES: '1',
      SENSE_SIDECAR_CONFIGURATION: 'x',
      OTHER_VARIABLE: 'ignored',
    });
    expect(issues.map(formatIssue)).toEqual([
      'env SENSE_SIDECAR_CONFIGURATION: unknown variable; see the configuration reference for the names',
      'env SENSE_SIDECAR_NATS_SERVER: unknown variable; did you mean SENSE_SIDECAR_NATS_SERVERS?',
      'env SENSE_SIDECAR_UDP_RECIEVE_BUFFER_BYTES: unknown variable; did you mean SENSE_SIDECAR_UDP_RECEIVE_BUFFER_BYTES?',
    ]);
  });

  it('splits lists on commas and drops empty items', () => {
    expect(splitList('')).toEqual([]);
    expect(splitList('a')).toEqual(['a']);
    expect(splitList(' a , b ,')).toEqual(['a', 'b']);
  });
});
