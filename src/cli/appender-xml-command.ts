import { parseArgs } from 'node:util';
import { renderAppenderXml } from '../appender/appender-xml.js';

export const APPENDER_XML_USAGE = `Usage: sense-sidecar appender-xml [--host H] [--port P]

Prints the LocalLogConfig.xml that makes a Sense node's proxy service send user
events to sense-sidecar. Save it as
C:\\ProgramData\\Qlik\\Sense\\Proxy\\LocalLogConfig.xml on every node that runs the
proxy service.

  --host H       where sense-sidecar listens, as the node reaches it
                 (default 127.0.0.1: the sidecar runs on the same node)
  --port P       its UDP port (default 9997)
  -h, --help     show this help
`;

/** `sense-sidecar appender-xml`: 0 with the XML on stdout, 2 on bad arguments. */
export function runAppenderXmlCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const fail = (message: string): Promise<number> => {
    io.stderr.write(
      `sense-sidecar appender-xml: ${message}\nRun 'sense-sidecar appender-xml --help' for the options.\n`,
    );
    return Promise.resolve(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    io.stdout.write(APPENDER_XML_USAGE);
    return Promise.resolve(0);
  }
  const portText = (values.port ?? '9997').trim();
  // Strict digits: Number('') is 0 and Number('0x10') is 16, neither is what the user meant.
  if (!/^\d+$/.test(portText)) return fail(`--port must be an integer from 1 to 65535 (got "${portText}")`);
  const port = Number(portText);
  try {
    io.stdout.write(renderAppenderXml({ host: values.host ?? '127.0.0.1', port }));
  } catch (error) {
    if (error instanceof RangeError) return fail(`--${error.message}`);
    throw error;
  }
  return Promise.resolve(0);
}
