import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { splitList } from '../../src/config/env.js';
import { envNameFor } from '../../src/config/env-names.js';
import { CONFIG_KEYS, renderConfigReference } from '../../src/config/reference.js';
import { KEY_SPECS } from '../../src/config/schema.js';

const EXPECTED_PATHS = [
  'node',
  'udp.host',
  'udp.port',
  'udp.receiveBufferBytes',
  'udp.maxDatagramBytes',
  'udp.allowedSources',
  'nats.servers',
  'nats.subjectPrefix',
  'nats.name',
  'nats.token',
  'nats.tokenFile',
  'nats.user',
  'nats.password',
  'nats.passwordFile',
  'nats.nkeySeedFile',
  'nats.credsFile',
  'nats.tlsCaFile',
  'nats.tlsCertFile',
  'nats.tlsKeyFile',
  'rules.paths',
  'rules.timezone',
  'sessions.inactivityTimeout',
  'sessions.expiryGrace',
  'state.maxKeys',
  'state.snapshotInterval',
  'jetstream.enabled',
  'jetstream.eventsStream',
  'jetstream.alertsStream',
  'jetstream.replicas',
  'jetstream.maxAge',
  'jetstream.duplicateWindow',
  'http.enabled',
  'http.host',
  'http.port',
  'privacy.hashUsers',
  'privacy.secret',
  'privacy.secretFile',
  'dataDir',
  'log.level',
  'status.interval',
  'memory.idleTrimAfter',
  'intake.readerThread',
  'intake.queueSize',
  'intake.batchDatagrams',
  'intake.batchWait',
  'intake.batchBelowRate',
  'outbox.maxBytes',
  'outbox.segmentBytes',
  'outbox.fsyncInterval',
  'outbox.fsyncRecords',
  'shutdown.timeout',
];

describe('CONFIG_KEYS', () => {
  it('lists exactly the keys operators script against, in order', () => {
    expect(CONFIG_KEYS.map((key) => key.path)).toEqual(EXPECTED_PATHS);
  });

  it('derives each environment name from the path', () => {
    for (const key of CONFIG_KEYS) expect(key.env).toBe(envNameFor(key.path));
    expect(new Set(CONFIG_KEYS.map((key) => key.env)).size).toBe(CONFIG_KEYS.length);
  });

  it('has a one-line description for every key', () => {
    for (const key of CONFIG_KEYS) expect(key.description).toMatch(/^[A-Z][^\n]+\.$/);
  });

  it('shows defaults that parse to the default values', () => {
    const context = { hostname: 'h', node: 'n', timezone: 'UTC' };
    for (const spec of KEY_SPECS) {
      if (spec.defaultText.includes('<')) continue; // computed from the host or node name
      const input = spec.list ? splitList(spec.defaultText.replace(/^\[|\]$/g, '')) : spec.defaultText;
      const parsed = spec.schema.safeParse(input);
      expect([spec.path, parsed.success ? parsed.data : parsed.error.issues]).toEqual([
        spec.path,
        spec.default(context),
      ]);
    }
  });
});

describe('renderConfigReference', () => {
  const table = renderConfigReference();

  it('is a markdown table with a row per key', () => {
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe('| Key | Environment variable | Default | Description |');
    expect(lines[1]).toBe('| --- | --- | --- | --- |');
    expect(lines).toHaveLength(CONFIG_KEYS.length + 2);
    expect(lines[5]).toBe(
      '| `udp.receiveBufferBytes` | `SENSE_SIDECAR_UDP_RECEIVE_BUFFER_BYTES` | `8MiB` | Kernel receive buffer of the socket (4KiB..1GiB), in bytes or with a unit; rides out bursts. |',
    );
    for (const line of lines) expect(line.split(/(?<!\\)\|/)).toHaveLength(6);
  });
});

describe('config/sense-sidecar.example.yaml', () => {
  const text = readFileSync(new URL('../../config/sense-sidecar.example.yaml', import.meta.url), 'utf8');

  it('sets every key, each under a comment', () => {
    const document = parseDocument(text);
    for (const path of EXPECTED_PATHS) expect([path, document.hasIn(path.split('.'))]).toEqual([path, true]);
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (/^\s*\w+: \S/.test(line) || /^\s*\w+:$/.test(line)) {
        const isSection = /^\w+:$/.test(line);
        if (!isSection) expect([line, lines[i - 1]?.trim().startsWith('#')]).toEqual([line, true]);
      }
    });
  });

  it('comments each key with its reference description, so the two cannot drift apart', () => {
    const lines = text.split('\n');
    for (const key of CONFIG_KEYS) {
      const [section, name] = key.path.includes('.') ? key.path.split('.') : [undefined, key.path];
      const start = section === undefined ? 0 : lines.indexOf(`${section}:`);
      const at = lines.findIndex((line, i) => i > start && line.trim().startsWith(`${name}:`));
      expect([key.path, lines[at - 1]?.trim()]).toEqual([key.path, `# ${key.description}`]);
    }
  });
});
