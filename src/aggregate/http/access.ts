import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile as fsReadFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { TlsKeyPair } from '../../observe/http-listener.js';
import { type ReadFile, readProblem } from '../../publish/nats-connection.js';

/**
 * Who may read the aggregator's HTTP API and live page. They show every user's sessions, so
 * beyond loopback the aggregator needs both a token (`http.tokenFile`) and TLS
 * (`http.tlsCertFile` + `http.tlsKeyFile`), and refuses to start without them.
 *
 * One secret serves both kinds of client: `Authorization: Bearer <token>` (scripts, `who`) and
 * HTTP Basic with any user name and the token as the password (a browser's own prompt, which
 * also covers the live page's event stream). `/healthz` stays open: it says only ok, degraded
 * or unhealthy, and probes have no credentials.
 */
export interface HttpAccess {
  readonly token: string | null;
  readonly tls: TlsKeyPair | null;
}

export interface HttpAccessConfig {
  readonly host: string;
  readonly tokenFile: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
}

/** Tokens shorter than this are refused: a guessable token guards nothing. */
export const MIN_TOKEN_LENGTH = 16;

/** Whether `host` only ever accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** The token and TLS files read and checked; every problem says which key to change. */
export async function loadHttpAccess(
  config: HttpAccessConfig,
  readFile: ReadFile = fsReadFile,
): Promise<{ ok: true; access: HttpAccess } | { ok: false; problems: string[] }> {
  const problems: string[] = [];
  const read = async (key: string, path: string): Promise<Uint8Array | null> => {
    if (path === '') return null;
    try {
      return await readFile(path);
    } catch (error) {
      problems.push(`${key} ${path}: ${readProblem(error)}`);
      return null;
    }
  };
  const tokenBytes = await read('http.tokenFile', config.tokenFile);
  const token = tokenBytes === null ? null : new TextDecoder().decode(tokenBytes).trim();
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    problems.push(
      `http.tokenFile: the token in ${config.tokenFile} must be at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  const cert = await read('http.tlsCertFile', config.tlsCertFile);
  const key = await read('http.tlsKeyFile', config.tlsKeyFile);
  if ((config.tlsCertFile === '') !== (config.tlsKeyFile === '')) {
    problems.push('http.tlsCertFile and http.tlsKeyFile: set both (a certificate and its key) or neither');
  }
  if (!isLoopbackHost(config.host) && (config.tokenFile === '' || config.tlsCertFile === '')) {
    problems.push(
      `http.host ${config.host} is not loopback, and the API shows every user's sessions: set http.tokenFile and ` +
        'http.tlsCertFile + http.tlsKeyFile, or keep http.host on 127.0.0.1',
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, access: { token, tls: cert !== null && key !== null ? { cert, key } : null } };
}

/** Whether an `Authorization` header carries the token (Bearer, or Basic with it as the password). */
export function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  let offered: string;
  if (scheme === 'bearer') offered = value;
  else if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    offered = decoded.slice(colon + 1);
  } else return false;
  // Digests of equal length, compared in constant time: the comparison says nothing of the token.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(offered), digest(token));
}
