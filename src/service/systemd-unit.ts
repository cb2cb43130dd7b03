/**
 * The hardened systemd unit of one service, rendered from its spec (pure).
 *
 * Why a static system user (`User=<name>`, created with `useradd --system`) and not
 * `DynamicUser=yes`: the data directory holds the durable outbox and the history database,
 * which must keep one owner across reinstalls and may sit wherever `dataDir` says; a dynamic
 * UID is only safe inside systemd's own `StateDirectory=`.
 *
 * Invariants: the only writable path is `dataDir` (`ProtectSystem=strict` + `ReadWritePaths=`);
 * nothing here stops a UDP listener, a NATS (TCP/TLS) client, worker threads or V8's JIT
 * (so no `MemoryDenyWriteExecute=`), and /proc/net stays visible (the kernel's UDP drop count).
 */
import { DESCRIPTIONS, type ServiceSpec, serviceArgs, stopTimeoutSeconds } from './service-spec.js';

/** One ExecStart word: quoted when needed; `%` and `$` doubled so systemd expands neither. */
export function quoteExecArg(word: string): string {
  if (/[\n\r]/.test(word))
    throw new Error(`a line break cannot be in a service argument: ${JSON.stringify(word)}`);
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (escaped !== '' && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A path in a space-separated unit setting: no whitespace, quotes or specifiers possible. */
function listPath(path: string): string {
  if (/[\s"'\\%]/.test(path)) {
    throw new Error(
      `${JSON.stringify(path)}: a path with spaces, quotes, "\\" or "%" cannot be made writable in a systemd unit; choose another dataDir`,
    );
  }
  return path;
}

export function renderSystemdUnit(spec: ServiceSpec): string {
  const exec = [spec.launch.command, ...serviceArgs(spec)].map(quoteExecArg).join(' ');
  const capabilities = spec.privilegedPort ? 'CAP_NET_BIND_SERVICE' : '';
  const lines = [
    `# Written by "sense-sidecar service install"; install again to change it, do not edit.`,
    '[Unit]',
    `Description=${DESCRIPTIONS[spec.program]}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    `WorkingDirectory=${quoteExecArg(spec.workingDirectory)}`,
    `User=${spec.name}`,
    `Group=${spec.name}`,
    'Restart=on-failure',
    'RestartSec=5s',
    'KillSignal=SIGTERM',
    `# shutdown.timeout (${spec.shutdownTimeoutMs} ms) plus a margin, so the process stops itself first.`,
    `TimeoutStopSec=${stopTimeoutSeconds(spec)}s`,
    'UMask=0027',
    '',
    '# Hardening: read-only system, one writable directory, no privileges.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${listPath(spec.dataDir)}`,
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectProc=invisible',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallErrorNumber=EPERM',
    `CapabilityBoundingSet=${capabilities}`,
    `AmbientCapabilities=${capabilities}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
