import { describe, expect, it } from 'vitest';
import { envNameFor } from '../../src/config/env-names.js';
import { formatSize, parseSize } from '../../src/config/sizes.js';
import { closest, editDistance } from '../../src/config/suggest.js';
import { isHostName, isNatsServerUrl, isNodeName, isSubjectPrefix } from '../../src/config/values.js';

describe('parseSize', () => {
  it.each([
    ['16384', 16384],
    ['0', 0],
    ['512KiB', 512 * 1024],
    ['8MiB', 8 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['4MB', 4_000_000],
    ['2KB', 2000],
    ['1GB', 1e9],
    ['100B', 100],
    ['8 MiB', 8 * 1024 * 1024],
    [' 8mib ', 8 * 1024 * 1024],
    ['1.5KiB', 1536],
    ['0.5MB', 500_000],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'MiB', '8M', '8 XB', '-1', '1.5B', '0.1KiB', '1e3', '8MiB8', '99999999999999999999'])(
    'refuses %j',
    (text) => {
      expect(parseSize(text)).toBeNull();
    },
  );

  it('formats the shortest exact binary unit', () => {
    expect(formatSize(8 * 1024 * 1024)).toBe('8MiB');
    expect(formatSize(16384)).toBe('16KiB');
    expect(formatSize(65507)).toBe('65507B');
    expect(formatSize(1024 ** 3)).toBe('1GiB');
  });
});

describe('suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it.each([
    ['prot', ['host', 'port'], 'port'],
    ['recieveBufferBytes', ['receiveBufferBytes', 'maxDatagramBytes'], 'receiveBufferBytes'],
    ['RECEIVE_BUFFER_BYTES', ['receiveBufferBytes'], 'receiveBufferBytes'],
    ['warning', ['error', 'warn', 'info'], 'warn'],
    ['err', ['error', 'warn'], 'error'],
    ['colour', ['host', 'port'], undefined],
    ['x', ['host', 'port'], undefined],
  ])('%j → %j', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });
});

describe('value syntax', () => {
  it.each([
    ['nats://127.0.0.1:4222', true],
    ['NATS://host:4222', true],
    ['tls://nats.example.com:4222', true],
    ['ws://host:8080', true],
    ['wss://host/path', true],
    ['nats://user:secret@host:4222', true],
    ['nats://[::1]:4222', true],
    ['host:4222', true],
    ['host', true],
    ['10.0.0.5:4222', true],
    ['[::1]:4222', true],
    ['http://host:4222', false],
    ['nats://', false],
    ['nats://host:99999', false],
    ['host:99999', false],
    ['host:port', false],
    ['host/path', false],
    ['user@host:4222', false],
    ['ho st:4222', false],
    ['', false],
  ])('NATS server %j: %s', (text, valid) => {
    expect(isNatsServerUrl(text)).toBe(valid);
  });

  it.each([
    ['sense', true],
    ['qlik.sense', true],
    ['a-b_c.D9', true],
    ['sense.', false],
    ['.sense', false],
    ['sense..events', false],
    ['sense.*', false],
    ['sense.>', false],
    ['sen se', false],
    ['', false],
  ])('subject prefix %j: %s', (text, valid) => {
    expect(isSubjectPrefix(text)).toBe(valid);
  });

  it.each([
    ['sense-node-1', true],
    ['SENSE01.corp.example.com', true],
    ['node_1', true],
    ['', false],
    ['sense node', false],
    ['node*', false],
    ['node>', false],
    ['node\t1', false],
  ])('node name %j: %s', (text, valid) => {
    expect(isNodeName(text)).toBe(valid);
  });

  it.each([
    ['localhost', true],
    ['sense-01.corp.example.com', true],
    ['SENSE_01', true],
    ['example.com.', true],
    ['-bad', false],
    ['a..b', false],
    ['', false],
    [`${'a'.repeat(64)}.com`, false],
  ])('host name %j: %s', (text, valid) => {
    expect(isHostName(text)).toBe(valid);
  });
});

describe('envNameFor', () => {
  it.each([
    ['udp.receiveBufferBytes', 'SENSE_SIDECAR_UDP_RECEIVE_BUFFER_BYTES'],
    ['dataDir', 'SENSE_SIDECAR_DATA_DIR'],
    ['nats.servers', 'SENSE_SIDECAR_NATS_SERVERS'],
    ['node', 'SENSE_SIDECAR_NODE'],
    ['nats.subjectPrefix', 'SENSE_SIDECAR_NATS_SUBJECT_PREFIX'],
  ])('%s → %s', (path, name) => {
    expect(envNameFor(path)).toBe(name);
  });
});
