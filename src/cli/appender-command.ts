/**
 * `sense-sidecar appender install|remove|xml`: the thin shell around the merge core. It reads the
 * file, decodes it, scans and merges, then either prints a diff (--dry-run) or backs the file up
 * and replaces it. Invariant: on any refusal (bad XML, not a <configuration>, an encoding we
 * cannot write back) the file is untouched and the exit code is 2; an I/O failure is exit 1.
 */
import { readFile } from 'node:fs/promises';
import { win32 } from 'node:path';
import { parseArgs } from 'node:util';
import { LOGGER_NAME, renderAppenderXml } from '../appender/appender-xml.js';
import { unifiedDiff } from '../appender/line-diff.js';
import { editConfigBytes } from '../appender/edit-config.js';
import type { MergeResult } from '../appender/merge.js';
import { backUp, writeReplacing } from '../appender/safe-write.js';
import { EncodingError } from '../appender/text-encoding.js';
import { XmlScanError } from '../appender/xml-scan.js';
import { runAppenderXmlCommand } from './appender-xml-command.js';
import { UsageError, isParseArgsError, parseIntegerArg } from './args.js';
import { type CommandIo, writeLine } from './io.js';

export const APPENDER_USAGE = `Usage: sense-sidecar appender install [--file PATH] [--host H] [--port P] [--dry-run]
       sense-sidecar appender remove [--file PATH] [--dry-run]
       sense-sidecar appender xml [--host H] [--port P]     (same as appender-xml)

install merges sense-sidecar's two UDP appenders and their appender-refs on the
${LOGGER_NAME} logger into an existing LocalLogConfig.xml, leaving everything
else in it as it was; run again with another --host/--port to change them.
remove takes out exactly what install added. Before writing, the old file is
kept beside it as <file>.<UTC yyyymmddThhmmssZ>.bak. Restart the Qlik Sense
Proxy Service afterwards so that it reads the file.

  --file PATH    the file (default on Windows:
                 %ProgramData%\\Qlik\\Sense\\Proxy\\LocalLogConfig.xml; required elsewhere)
  --host H       where sense-sidecar listens, as the node reaches it (default 127.0.0.1)
  --port P       its UDP port (default 9997)
  --dry-run      print what would change as a unified diff; write nothing
  -h, --help     show this help
`;

export interface AppenderCommandEnv {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly pid: number;
}

export function defaultConfigPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | undefined {
  if (platform !== 'win32') return undefined;
  return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Qlik', 'Sense', 'Proxy', 'LocalLogConfig.xml');
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

export async function runAppenderCommand(
  argv: string[],
  io: CommandIo,
  context: AppenderCommandEnv,
): Promise<number> {
  const [action, ...rest] = argv;
  if (action === 'xml') return runAppenderXmlCommand(rest, io);
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    (action === undefined ? io.stderr : io.stdout).write(APPENDER_USAGE);
    return action === undefined ? 2 : 0;
  }
  const fail = (message: string, code = 2): number => {
    writeLine(io.stderr, `sense-sidecar appender ${action}: ${message}`);
    return code;
  };
  if (action !== 'install' && action !== 'remove') {
    return fail(`unknown action "${action}": use install, remove or xml (see --help)`);
  }

  let file: string;
  let host: string;
  let port: number;
  let dryRun: boolean;
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        file: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      io.stdout.write(APPENDER_USAGE);
      return 0;
    }
    if (action === 'remove' && (values.host !== undefined || values.port !== undefined)) {
      throw new UsageError('--host and --port are for install; remove finds our appenders by name');
    }
    const chosen = values.file ?? defaultConfigPath(context.platform, context.env);
    if (chosen === undefined || chosen.trim() === '') {
      throw new UsageError('--file is required when not on Windows: give the path of LocalLogConfig.xml');
    }
    file = chosen;
    host = values.host ?? '127.0.0.1';
    port = parseIntegerArg('port', values.port ?? '9997', 1, 65535);
    dryRun = values['dry-run'] === true;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) return fail(error.message);
    throw error;
  }

  let original: Buffer | undefined;
  try {
    original = await readFile(file);
  } catch (error) {
    if (!isMissing(error)) return fail(`${file}: cannot read it: ${(error as Error).message}`, 1);
  }

  let before: string;
  let after: string;
  let result: MergeResult;
  let encoded: Buffer;
  try {
    if (original === undefined) {
      if (action === 'remove') {
        writeLine(io.stdout, `${file}: no such file, nothing to remove`);
        return 0;
      }
      before = '';
      after = renderAppenderXml({ host, port });
      result = { text: after, changes: [`created ${file} with the appenders and the ${LOGGER_NAME} logger`] };
      encoded = Buffer.from(after, 'utf8');
    } else {
      const edit = editConfigBytes(
        original,
        action === 'install' ? { action, options: { host, port } } : { action },
      );
      result = edit;
      before = edit.before;
      after = edit.text;
      encoded = edit.bytes;
    }
  } catch (error) {
    if (error instanceof XmlScanError) {
      return fail(
        `${file}:${error.position.line}:${error.position.column}: ${error.message}; the file was not changed`,
      );
    }
    if (error instanceof EncodingError || error instanceof RangeError) {
      return fail(`${file}: ${error.message}; the file was not changed`);
    }
    throw error;
  }

  if (result.changes.length === 0) {
    writeLine(
      io.stdout,
      action === 'install'
        ? `${file}: already installed (UDP to ${host}:${port}), nothing changed`
        : `${file}: not installed, nothing to remove`,
    );
    return 0;
  }
  if (dryRun) {
    io.stdout.write(unifiedDiff(before, after, { a: file, b: `${file} (after ${action})` }));
    for (const change of result.changes) writeLine(io.stdout, `would have: ${change}`);
    writeLine(io.stdout, '--dry-run: nothing written');
    return 0;
  }

  try {
    if (original !== undefined) {
      const backup = await backUp(file, context.now());
      writeLine(io.stdout, `backup: ${backup}`);
    }
    await writeReplacing(file, encoded, context.pid);
  } catch (error) {
    return fail(`${file}: cannot write it: ${(error as Error).message}; the file was not changed`, 1);
  }
  for (const change of result.changes) writeLine(io.stdout, change);
  writeLine(
    io.stdout,
    `wrote ${file}; restart the Qlik Sense Proxy Service on this node so that it reads the file`,
  );
  return 0;
}
