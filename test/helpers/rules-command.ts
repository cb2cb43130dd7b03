/**
 * Setup shared by the tests of `rules check` and `rules test`: a fresh temporary directory per
 * test (removed after it), and a runner that captures what a command prints. Commands get the
 * time zone UTC, so expected output never depends on the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { captureText } from './capture.js';

/** Creates a directory before each test and hands it to `use`; removes it after the test. */
export function tempDirEachTest(prefix: string, use: (dir: string) => void): void {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    use(dir);
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
}

type RulesCommand = (
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  defaults: { paths: readonly string[]; timezone: string },
) => Promise<number>;

/** `run(argv, defaultPaths)` → the exit code and everything written to stdout and stderr. */
export function rulesCommandRunner(
  command: RulesCommand,
): (argv: string[], defaultPaths?: string[]) => Promise<{ code: number; stdout: string; stderr: string }> {
  return async (argv, defaultPaths = []) => {
    const stdout = captureText();
    const stderr = captureText();
    const code = await command(argv, { stdout, stderr }, { paths: defaultPaths, timezone: 'UTC' });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };
}
