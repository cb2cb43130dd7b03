/**
 * The WinSW (v2) configuration of one Windows service, rendered from its spec (pure).
 *
 * WinSW speaks the Service Control Manager's protocol for us, starts the executable, restarts
 * it on failure, rolls its stdout/stderr into size-capped log files and stops it with Ctrl+C
 * (which Node delivers as SIGINT, so the process drains as on Linux) before killing it after
 * `stoptimeout`.
 *
 * Invariants: every value is XML-escaped; arguments are quoted by Windows' command-line rules;
 * the service runs as NT AUTHORITY\LocalService, not LocalSystem.
 */
import { DESCRIPTIONS, type ServiceSpec, serviceArgs, stopTimeoutSeconds } from './service-spec.js';

export const WINDOWS_BASE_DIR = 'C:\\ProgramData\\sense-sidecar';
export const WINDOWS_LOG_DIR = `${WINDOWS_BASE_DIR}\\logs`;
/** Roll a log at 10 MiB, keep 8 files: at most ~90 MiB per stream. */
export const LOG_ROLL_KB = 10_240;
export const LOG_KEEP_FILES = 8;
export const RESTART_DELAYS = ['10 sec', '30 sec', '60 sec'] as const;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** One argument as CommandLineToArgvW reads it back. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const c of arg) {
    if (c === '\\') {
      slashes++;
      continue;
    }
    out += c === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + c;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

export function renderWinswXml(spec: ServiceSpec): string {
  const el = (name: string, value: string): string => `  <${name}>${escapeXml(value)}</${name}>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- Written by "sense-sidecar service install"; install again to change it, do not edit. -->',
    '<service>',
    el('id', spec.name),
    el('name', spec.name),
    el('description', DESCRIPTIONS[spec.program]),
    el('executable', spec.launch.command),
    el('arguments', serviceArgs(spec).map(quoteWindowsArg).join(' ')),
    el('workingdirectory', spec.workingDirectory),
    el('startmode', 'Automatic'),
    '  <serviceaccount>',
    '    <domain>NT AUTHORITY</domain>',
    '    <user>LocalService</user>',
    '  </serviceaccount>',
    ...RESTART_DELAYS.map((delay) => `  <onfailure action="restart" delay="${delay}"/>`),
    el('resetfailure', '1 hour'),
    `  <!-- shutdown.timeout (${spec.shutdownTimeoutMs} ms) plus a margin: Ctrl+C first, kill after. -->`,
    el('stoptimeout', `${stopTimeoutSeconds(spec)} sec`),
    el('stopparentprocessfirst', 'true'),
    el('logpath', WINDOWS_LOG_DIR),
    '  <log mode="roll-by-size">',
    `    <sizeThreshold>${LOG_ROLL_KB}</sizeThreshold>`,
    `    <keepFiles>${LOG_KEEP_FILES}</keepFiles>`,
    '  </log>',
    '</service>',
    '',
  ];
  return lines.join('\r\n');
}
