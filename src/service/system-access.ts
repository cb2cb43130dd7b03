/**
 * The real SystemAccess: child processes without a shell (arguments are never re-parsed) and
 * plain file operations. The only module under src/service/ that touches the machine.
 */
import { spawn } from 'node:child_process';
import { access, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import type { RunResult, SystemAccess } from './steps.js';

function run(command: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    // A missing program is a failed step with a reason, not a crash.
    child.on('error', (error) => resolve({ exitCode: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? (signal === null ? 1 : 128), stdout, stderr }),
    );
  });
}

export function systemAccess(): SystemAccess {
  return {
    run,
    exists: (path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    writeFile: (path, content) => writeFile(path, content, { mode: 0o644 }),
    copyFile: (from, to) => copyFile(from, to),
    mkdir: (path) => mkdir(path, { recursive: true }).then(() => undefined),
    remove: (path) => rm(path, { force: true }),
  };
}
