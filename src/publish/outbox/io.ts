import { open } from 'node:fs/promises';

/** An I/O error that names what was being done and the path, keeping the original as `cause`. */
export function ioError(what: string, path: string, cause: unknown): Error {
  return new Error(`${what}: ${path}: ${describeError(cause)}`, { cause });
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.startsWith(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** The filesystem (or the user's quota) has no room: the disk, not `maxBytes`, is full. */
export function isNoSpace(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Makes file creations, renames and deletions in `dir` durable (POSIX needs an fsync of the
 * directory). Windows cannot open a directory for this and NTFS journals its metadata: skipped.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const SEGMENT_PATTERN = /^segment-(\d{20})\.log$/;

export function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(20, '0')}.log`;
}
