import { describe, expect, test } from 'vitest';
import { parseIntegerArg, parseListArg, parseNonNegativeArg, UsageError } from '../../src/cli/args.js';
import { parseSendArgs, runSendCommand } from '../../src/cli/send-command.js';
import { captureText as capture } from '../helpers/capture.js';

describe('parseSendArgs', () => {
  test('defaults: the morning scenario at speed 60 to 127.0.0.1:9997', () => {
    expect(parseSendArgs([])).toEqual({
      host: '127.0.0.1',
      port: 9997,
      nodes: ['SENSE-NODE1', 'SENSE-NODE2'],
      users: 200,
      apps: 12,
      seed: 1,
      progress: true,
      mode: 'scenario',
      scenario: 'morning',
      durationMs: 1_800_000,
      speed: 60,
    });
  });

  test('--count switches to load mode', () => {
    expect(
      parseSendArgs([
        '--count',
        '500',
        '--rate',
        '0',
        '--nodes',
        ' a , b,,c ',
        '--no-progress',
        '--seed',
        '7',
      ]),
    ).toMatchObject({ mode: 'load', count: 500, rate: 0, nodes: ['a', 'b', 'c'], progress: false, seed: 7 });
    expect(parseSendArgs(['--count', '5'])).toMatchObject({ mode: 'load', rate: 1000 });
  });

  test('scenario options', () => {
    expect(parseSendArgs(['--speed', '0.5', '--duration', '1h', '--users', '3'])).toMatchObject({
      mode: 'scenario',
      speed: 0.5,
      durationMs: 3_600_000,
      users: 3,
    });
  });

  test('--help', () => {
    expect(parseSendArgs(['--help'])).toBeNull();
    expect(parseSendArgs(['-h'])).toBeNull();
  });
});

describe('argument helpers', () => {
  test('integers are strict decimal', () => {
    expect(parseIntegerArg('port', '9997', 1, 65535)).toBe(9997);
    for (const bad of ['', '1e3', '0x10', '-1', '12abc', '1.5', '70000']) {
      expect(() => parseIntegerArg('port', bad, 1, 65535)).toThrow(UsageError);
    }
  });

  test('non-negative numbers and lists', () => {
    expect(parseNonNegativeArg('rate', '0')).toBe(0);
    expect(parseNonNegativeArg('rate', '12.5')).toBe(12.5);
    expect(() => parseNonNegativeArg('rate', '-3')).toThrow(/--rate must be a number >= 0/);
    expect(() => parseNonNegativeArg('rate', 'fast')).toThrow(UsageError);
    expect(() => parseListArg('nodes', ' , ')).toThrow(/--nodes must name at least one/);
  });
});

describe('runSendCommand argument errors', () => {
  test('--help prints usage and exits 0 without sending', async () => {
    const stdout = capture();
    const stderr = capture();
    expect(await runSendCommand(['--help'], { stdout, stderr })).toBe(0);
    expect(stdout.text()).toMatch(/^Usage: sense-sidecar send/);
    expect(stdout.text()).toContain('--speed N');
    expect(stdout.text()).toContain('--rate R');
    expect(stderr.text()).toBe('');
  });

  test.each([
    [['--port', '0'], /--port must be an integer from 1 to 65535 \(got "0"\)/],
    [['--port'], /--port/],
    [['--users', 'many'], /--users must be an integer/],
    [['--nodes', ','], /--nodes must name at least one/],
    [['--host', ' '], /--host must not be empty/],
    [['--scenario', 'evening'], /--scenario must be "morning" \(got "evening"\)/],
    [['--speed=-1'], /--speed must be a number >= 0/],
    [['--duration', 'soon'], /--duration must be a positive duration such as 30m/],
    [['--rate', '100'], /--rate belongs to load mode; add --count N/],
    [['--count', '10', '--speed', '5'], /--speed belongs to scenario mode/],
    [['--count', '10', '--scenario', 'morning'], /--scenario belongs to scenario mode/],
    [['--count', '0'], /--count must be an integer from 1/],
    [['--count', '10', '--rate', 'max'], /--rate must be a number >= 0/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['morning'], /positional/],
  ])('exit 2 for %j', async (argv, message) => {
    const stdout = capture();
    const stderr = capture();
    expect(await runSendCommand(argv, { stdout, stderr })).toBe(2);
    expect(stderr.text()).toMatch(message);
    expect(stderr.text()).toContain("Run 'sense-sidecar send --help'");
    expect(stdout.text()).toBe('');
  });
});
