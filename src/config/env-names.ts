/** How config paths map to environment variable names. */

export const ENV_PREFIX = 'SENSE_SIDECAR_';

/** `udp.receiveBufferBytes` → `SENSE_SIDECAR_UDP_RECEIVE_BUFFER_BYTES`, `dataDir` → `SENSE_SIDECAR_DATA_DIR`. */
export function envNameFor(path: string, prefix: string = ENV_PREFIX): string {
  const words = path.split('.').map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
  return prefix + words.join('_').toUpperCase();
}

/** Does this name belong to us? Windows treats variable names case-insensitively, so do we. */
export function hasEnvPrefix(name: string, prefix: string = ENV_PREFIX): boolean {
  return name.toUpperCase().startsWith(prefix);
}
