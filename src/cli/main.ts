#!/usr/bin/env -S node --no-memory-reducer --expose-gc
import { shippedText } from '../core/shipped-files.js';
import { type CommandIo, writeLine } from './io.js';

const USAGE = `Usage: sense-sidecar <command> [options]

Commands:
  run            receive Qlik Sense user events (UDP) and publish them on NATS
  aggregate      the central aggregator: every node's events from NATS, HTTP API, history, metrics
  who            who is on now (or at --at TIME), from the aggregator's API
  send           simulate Sense nodes: a morning scenario, or --count/--rate load
  appender       merge our appenders into LocalLogConfig.xml, or take them out (appender install|remove)
  appender-xml   print the LocalLogConfig.xml to install on a Sense node
  rules          check rule files, or run their tests (rules check|test [paths])
  config         print the configuration reference, or check a config file
  service        install, uninstall or show the sidecar or aggregator as a service (systemd, Windows)
  version        print the version

Run "sense-sidecar <command> --help" for a command's options.`;

function readVersion(): string {
  const text = shippedText('package.json', new URL('../../package.json', import.meta.url));
  const parsed = JSON.parse(text) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}

// Each command's modules are imported only when it runs: the sidecar on a Sense node does not
// carry the aggregator's SQLite, HTTP page and API code in its memory, nor the simulator's.
async function main(argv: string[]): Promise<number> {
  const io: CommandIo = { stdout: process.stdout, stderr: process.stderr };
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return (await import('./run-command.js')).runRunCommand(rest, io, process.env, readVersion());
    case 'aggregate':
      return (await import('./aggregate-command.js')).runAggregateCommand(
        rest,
        io,
        process.env,
        readVersion(),
      );
    case 'who':
      return (await import('./who-command.js')).runWhoCommand(rest, io);
    case 'send': {
      const abort = new AbortController();
      process.once('SIGINT', () => {
        abort.abort();
      });
      return (await import('./send-command.js')).runSendCommand(rest, io, abort.signal);
    }
    case 'appender':
      return (await import('./appender-command.js')).runAppenderCommand(rest, io, {
        platform: process.platform,
        env: process.env,
        now: () => new Date(),
        pid: process.pid,
      });
    case 'appender-xml':
      return (await import('./appender-xml-command.js')).runAppenderXmlCommand(rest, io);
    case 'config':
      return (await import('./config-command.js')).runConfigCommand(rest, io, process.env);
    case 'rules':
      return (await import('./rules-command.js')).runRulesCommand(rest, io, process.env);
    case 'service': {
      const { systemAccess } = await import('../service/system-access.js');
      return (await import('./service-command.js')).runServiceCommand(rest, io, process.env, {
        platform: process.platform,
        execPath: process.execPath,
        scriptPath: process.argv[1],
        isRoot: process.getuid?.() === 0,
        system: systemAccess(),
      });
    }
    case 'version':
    case '--version':
      writeLine(io.stdout, readVersion());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      writeLine(io.stdout, USAGE);
      return 0;
    default:
      writeLine(io.stderr, `unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `sense-sidecar: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
