// Shared by `npm test` and `npm run demo`: make sure what they need is installed, the way a new
// user on a fresh Debian machine would otherwise have to find out by hand.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { continueOnPinnedRuntime, installPackages, PINNED_NODE, runtimePackage } from './runtime.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function log(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`"${command} ${args.join(' ')}" failed (exit ${result.status})`);
}

/**
 * npm packages (installed on the pinned Node.js) and the compiled dist/ (npm ci runs the build
 * in `prepare`); then the calling script carries on on the pinned runtime.
 */
export function ensureNodeModules() {
  if (!installedOnPinnedRuntime()) installPackages();
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    log('building (npm run build)');
    run('npm', ['run', 'build']);
  }
  continueOnPinnedRuntime();
}

/** node_modules exists and its node (the optional node-<os>-<arch> dependency) is the pinned one. */
function installedOnPinnedRuntime() {
  if (!existsSync(new URL('../../node_modules/.package-lock.json', import.meta.url))) return false;
  const bin = new URL(`../../node_modules/${runtimePackage()}/package.json`, import.meta.url);
  return existsSync(bin) && JSON.parse(readFileSync(bin, 'utf8')).version === PINNED_NODE;
}

export function findNatsServer() {
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    // Debian installs it in /usr/sbin, which is not on every user's PATH.
    return ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p)) ?? null;
  }
}

const INSTALL_HINT =
  'nats-server is not installed. On Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y nats-server ' +
  '(or set NATS_SERVER_BIN to a nats-server binary).';

/**
 * Finds nats-server, installing Debian's package when missing and allowed: we are root, apt-get
 * exists, and SENSE_SIDECAR_NO_INSTALL is not set. Otherwise says exactly what to install.
 */
export function ensureNatsServer() {
  const found = findNatsServer();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt || process.env.SENSE_SIDECAR_NO_INSTALL) {
    throw new Error(INSTALL_HINT);
  }
  log("installing Debian's nats-server package (apt-get install -y nats-server)");
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'nats-server']);
  const installed = findNatsServer();
  if (!installed) throw new Error(INSTALL_HINT);
  return installed;
}

export function findChromium() {
  const path = process.env.PLAYWRIGHT_CHROMIUM || '/usr/bin/chromium';
  return existsSync(path) ? path : null;
}

const CHROMIUM_HINT =
  'Chromium is not installed (the live page test drives it). On Debian/Ubuntu: sudo apt-get install -y chromium ' +
  '(or set PLAYWRIGHT_CHROMIUM to a Chromium binary).';

/** Like ensureNatsServer, for the browser of the live page's end-to-end test. */
export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt || process.env.SENSE_SIDECAR_NO_INSTALL || process.env.PLAYWRIGHT_CHROMIUM) {
    throw new Error(CHROMIUM_HINT);
  }
  log("installing Debian's chromium package (apt-get install -y chromium)");
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
  const installed = findChromium();
  if (!installed) throw new Error(CHROMIUM_HINT);
  return installed;
}

/** Debian's aiosmtpd for /usr/bin/python3 (the alert receiver test's SMTP server), or null. */
export function findAiosmtpd() {
  const ok = spawnSync('/usr/bin/python3', ['-c', 'import aiosmtpd'], { stdio: 'ignore' }).status === 0;
  return ok ? '/usr/bin/python3 (aiosmtpd)' : null;
}

const AIOSMTPD_HINT =
  'aiosmtpd is not installed (the e-mail receiver test runs it as its SMTP server). On Debian/Ubuntu: ' +
  'sudo apt-get install -y python3-aiosmtpd';

/** Like ensureNatsServer, for the SMTP server of the e-mail receiver test. */
export function ensureAiosmtpd() {
  const found = findAiosmtpd();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt || process.env.SENSE_SIDECAR_NO_INSTALL) throw new Error(AIOSMTPD_HINT);
  log("installing Debian's python3-aiosmtpd package (apt-get install -y python3-aiosmtpd)");
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'python3-aiosmtpd']);
  const installed = findAiosmtpd();
  if (!installed) throw new Error(AIOSMTPD_HINT);
  return installed;
}
