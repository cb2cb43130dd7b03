import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from './ports.js';
import { waitFor } from './wait.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/smtp/smtp-server.py', import.meta.url));
/** Debian's interpreter: python3-aiosmtpd installs for it (not for another python3 on PATH). */
const PYTHON = '/usr/bin/python3';

export interface ReceivedMail {
  readonly mail_from: string;
  readonly rcpt_tos: string[];
  readonly data: string;
  readonly auth_user: string | false;
  readonly tls: boolean;
}

/** Fails with what to install when aiosmtpd is missing (CI installs it in .ci/run; the test must not skip). */
function requireAiosmtpd(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import aiosmtpd'], { stdio: 'ignore' });
  } catch {
    throw new Error('aiosmtpd is not installed: run "apt-get install -y python3-aiosmtpd"');
  }
}

/** A real SMTP server (aiosmtpd) on loopback with TLS and required AUTH, recording each message. */
export class SmtpServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(options: {
    readonly cert: string;
    readonly key: string;
    readonly user: string;
    readonly password: string;
    readonly mode: 'starttls' | 'implicit';
  }): Promise<SmtpServer> {
    requireAiosmtpd();
    const port = await freeTcpPort();
    const dir = mkdtempSync(join(tmpdir(), 'sense-smtp-'));
    const child = spawn(
      PYTHON,
      [
        SCRIPT,
        String(port),
        options.cert,
        options.key,
        options.user,
        options.password,
        join(dir, 'mail.jsonl'),
        options.mode,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const server = new SmtpServer(child, port, dir);
    try {
      await waitFor(
        () => out.includes('READY') || child.exitCode !== null,
        'the SMTP server to start',
        15_000,
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    if (child.exitCode !== null) throw new Error(`the SMTP server exited: ${out}`);
    return server;
  }

  messages(): ReceivedMail[] {
    const file = join(this.dir, 'mail.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ReceivedMail);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
