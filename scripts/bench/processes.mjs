// Every child process and temporary directory the benchmark starts, so that all of them are
// gone however it ends: normal exit, an error, Ctrl-C or SIGTERM.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const dirs = new Set();

/** A temp directory removed at exit. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** spawn(), remembered for cleanup. */
export function start(command, args, options = {}) {
  return track(spawn(command, args, options));
}

/** fork() of one of our .mjs helpers (IPC channel; it exits when we disconnect), remembered. */
export function startHelper(modulePath, args = [], options = {}) {
  return track(fork(modulePath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], ...options }));
}

export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stop(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited(child);
  } finally {
    clearTimeout(timer);
  }
}

/** Synchronous last resort (process 'exit' handlers cannot wait): kill what is left, remove dirs. */
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Orderly cleanup: stop children (newest first), then remove the directories. */
export async function stopAll() {
  for (const child of [...children].reverse()) await stop(child, 3_000);
  killAll();
}

let installed = false;
/** Kill every child and remove temp dirs on exit, SIGINT and SIGTERM. */
export function installCleanup(onSignal = () => {}) {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      onSignal(signal);
      void stopAll().finally(() => process.exit(130));
      // A second signal does not wait for anything.
      process.once(signal, () => {
        killAll();
        process.exit(130);
      });
    });
  }
}
