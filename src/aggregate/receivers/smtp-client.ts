import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { SmtpAuthMechanism, SmtpTlsMode } from '../../config/alerting-schema.js';
import type { AttemptFailure } from './retry-schedule.js';

/**
 * A small SMTP client (RFC 5321) for one message per connection: greeting, EHLO, STARTTLS (or
 * TLS from the first byte), AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO, DATA with dot-stuffing,
 * QUIT. Every wait (connect, each reply) has the timeout. Certificates are always verified,
 * against `ca` when given. Outcomes are AttemptFailures: 4xx replies, network trouble and a
 * refused log-in are tried again (an operator may fix the password and restart; nothing queued
 * is lost meanwhile), other 5xx replies are permanent. Reasons quote the server's reply, never
 * what was sent.
 */

export interface SmtpTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTlsMode;
  /** PEM; undefined: the system's CAs. */
  readonly ca?: string | undefined;
  /** Empty: no AUTH. */
  readonly user: string;
  readonly password: string;
  readonly auth: SmtpAuthMechanism;
  /** The name given in EHLO. */
  readonly heloName: string;
  readonly timeoutMs: number;
}

export interface MailEnvelope {
  readonly from: string;
  readonly to: readonly string[];
}

interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
}

/** A reply's first line as a reason, bounded. */
function said(reply: Reply): string {
  return `${reply.code} ${(reply.lines[0] ?? '').slice(0, 200)}`.trim();
}

class SmtpFailure extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.reason);
  }
}

const retry = (reason: string): SmtpFailure => new SmtpFailure({ kind: 'retry', reason, retryAfterMs: null });
const permanent = (reason: string): SmtpFailure => new SmtpFailure({ kind: 'permanent', reason });

const MAX_LINE = 64 * 1024;

/** Reads CRLF-terminated reply lines from one socket; one reader per socket (a new one after STARTTLS). */
class ReplyReader {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private ended: Error | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('latin1');
    if (this.buffer.length > MAX_LINE) this.fail(new Error('reply line too long'));
    let at = this.buffer.indexOf('\n');
    while (at >= 0) {
      this.lines.push(this.buffer.slice(0, at).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(at + 1);
      at = this.buffer.indexOf('\n');
    }
    this.wake();
  };
  private readonly onEnd = (): void => {
    this.fail(new Error('connection closed by the server'));
  };
  private readonly onError = (error: Error): void => {
    this.fail(error);
  };

  constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
  }

  private fail(error: Error): void {
    this.ended ??= error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async line(what: string): Promise<string> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const next = this.lines.shift();
      if (next !== undefined) return next;
      if (this.ended !== null) throw retry(`${what}: ${socketReason(this.ended)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw retry(`${what}: no reply within ${this.timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One (possibly multi-line) reply: `250-…` lines up to the `250 …` one. */
  async reply(what: string): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line(what);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (match === null) throw permanent(`${what}: not an SMTP reply: ${line.slice(0, 100)}`);
      lines.push(match[3] ?? '');
      if (match[2] !== '-') return { code: Number(match[1]), lines };
    }
  }
}

function socketReason(error: Error): string {
  const code = 'code' in error ? String((error as { code: unknown }).code) : '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code !== '') return code;
  return error.message;
}

/** Dot-stuffing (RFC 5321 4.5.2) and CRLF line ends; the terminating `.` is added by the caller. */
export function dotStuff(message: string): string {
  const crlf = message.replace(/\r?\n/g, '\r\n');
  const body = crlf.endsWith('\r\n') ? crlf : `${crlf}\r\n`;
  return body.replace(/^\./gm, '..');
}

/** Sends one message; null when the server took it. */
export async function sendMail(
  target: SmtpTarget,
  envelope: MailEnvelope,
  message: string,
): Promise<AttemptFailure | null> {
  let socket: Socket | null = null;
  try {
    socket = await open(target);
    await converse(socket, target, envelope, message);
    return null;
  } catch (error) {
    if (error instanceof SmtpFailure) return error.failure;
    return {
      kind: 'retry',
      reason: socketReason(error instanceof Error ? error : new Error(String(error))),
      retryAfterMs: null,
    };
  } finally {
    socket?.destroy();
  }
}

function servername(host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined;
}

/** Resolves once connected (and, for implicit TLS, once the handshake verified the server). */
function open(target: SmtpTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(retry(`connect: no connection within ${target.timeoutMs} ms`));
    }, target.timeoutMs);
    const done = (error: Error | null): void => {
      clearTimeout(timer);
      socket.off('error', done);
      if (error === null) resolve(socket);
      else reject(tlsOrSocket('connect', error));
    };
    const socket: Socket =
      target.tls === 'implicit'
        ? tlsConnect(
            { host: target.host, port: target.port, servername: servername(target.host), ca: target.ca },
            () => {
              done(null);
            },
          )
        : netConnect({ host: target.host, port: target.port }, () => {
            done(null);
          });
    socket.once('error', done);
  });
}

function tlsOrSocket(what: string, error: Error): SmtpFailure {
  const code = 'code' in error ? String((error as { code: unknown }).code) : '';
  if (code.includes('CERT') || code.startsWith('ERR_TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
    return retry(`${what}: TLS certificate not accepted (${code}); set caFile to the server's CA`);
  return retry(`${what}: ${socketReason(error)}`);
}

function upgrade(socket: Socket, target: SmtpTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      secure.destroy();
      reject(retry(`STARTTLS: no handshake within ${target.timeoutMs} ms`));
    }, target.timeoutMs);
    // `host` too: without it the certificate is checked against "localhost", not the server named.
    const secure = tlsConnect(
      { socket, host: target.host, servername: servername(target.host), ca: target.ca },
      () => {
        clearTimeout(timer);
        resolve(secure);
      },
    );
    secure.once('error', (error) => {
      clearTimeout(timer);
      reject(tlsOrSocket('STARTTLS', error));
    });
  });
}

async function converse(
  first: Socket,
  target: SmtpTarget,
  envelope: MailEnvelope,
  message: string,
): Promise<void> {
  let socket = first;
  let reader = new ReplyReader(socket, target.timeoutMs);
  const write = (line: string): void => {
    socket.write(`${line}\r\n`);
  };
  /** Sends a command and wants one of `ok`; 4xx is tried again, 5xx is permanent. */
  const command = async (line: string | null, what: string, ok: readonly number[]): Promise<Reply> => {
    if (line !== null) write(line);
    const reply = await reader.reply(what);
    if (ok.includes(reply.code)) return reply;
    if (reply.code >= 400 && reply.code < 500) throw retry(`${what}: ${said(reply)}`);
    throw permanent(`${what}: ${said(reply)}`);
  };

  await command(null, 'greeting', [220]);
  let ehlo = await command(`EHLO ${target.heloName}`, 'EHLO', [250]);
  if (target.tls === 'starttls') {
    if (!offers(ehlo, 'STARTTLS'))
      throw permanent('the server does not offer STARTTLS; set tls: implicit or none');
    await command('STARTTLS', 'STARTTLS', [220]);
    reader.detach();
    socket = await upgrade(socket, target);
    reader = new ReplyReader(socket, target.timeoutMs);
    ehlo = await command(`EHLO ${target.heloName}`, 'EHLO after STARTTLS', [250]);
  }
  if (target.user !== '') {
    const mechanisms = authMechanisms(ehlo);
    const wanted = target.auth.toUpperCase();
    if (!mechanisms.includes(wanted))
      throw permanent(
        `the server does not offer AUTH ${wanted} (it offers: ${mechanisms.join(' ') || 'none'})`,
      );
    const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
    const refused = (reply: Reply): SmtpFailure =>
      retry(`authentication refused: ${said(reply)}; check user and password`);
    if (target.auth === 'plain') {
      write(`AUTH PLAIN ${b64(`\u0000${target.user}\u0000${target.password}`)}`);
      const reply = await reader.reply('AUTH');
      if (reply.code !== 235) throw refused(reply);
    } else {
      await command('AUTH LOGIN', 'AUTH', [334]);
      await command(b64(target.user), 'AUTH user', [334]);
      write(b64(target.password));
      const reply = await reader.reply('AUTH');
      if (reply.code !== 235) throw refused(reply);
    }
  }
  await command(`MAIL FROM:<${envelope.from}>`, 'MAIL FROM', [250]);
  let accepted = 0;
  const refusedRecipients: string[] = [];
  for (const to of envelope.to) {
    write(`RCPT TO:<${to}>`);
    const reply = await reader.reply('RCPT TO');
    if (reply.code === 250 || reply.code === 251) accepted += 1;
    else if (reply.code >= 400 && reply.code < 500) throw retry(`RCPT TO ${to}: ${said(reply)}`);
    else refusedRecipients.push(`${to} (${said(reply)})`);
  }
  if (accepted === 0) throw permanent(`every recipient was refused: ${refusedRecipients.join(', ')}`);
  await command('DATA', 'DATA', [354]);
  socket.write(`${dotStuff(message)}.\r\n`);
  await command(null, 'end of DATA', [250]);
  write('QUIT');
  // The message is taken; the QUIT reply is a courtesy not worth a retry.
  await reader.reply('QUIT').catch(() => undefined);
}

function offers(ehlo: Reply, extension: string): boolean {
  return ehlo.lines.some((line) => line.toUpperCase().split(/\s+/)[0] === extension);
}

function authMechanisms(ehlo: Reply): string[] {
  for (const line of ehlo.lines) {
    const words = line.toUpperCase().split(/[\s=]+/);
    if (words[0] === 'AUTH') return words.slice(1).filter((w) => w !== '');
  }
  return [];
}
