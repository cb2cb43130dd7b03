/**
 * Replacing LocalLogConfig.xml without a moment where it is half written: the old bytes are
 * first copied to a timestamped backup beside it, then the new bytes go to a temporary file in
 * the same directory, are flushed to disk and renamed over the original (a rename within one
 * directory replaces atomically on NTFS and POSIX file systems). The time comes from the caller.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `yyyymmddThhmmssZ` in UTC, as in `LocalLogConfig.xml.20261206T132658Z.bak`. */
export function backupStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll('-', '')
    .replaceAll(':', '');
}

export function backupPathFor(file: string, at: Date): string {
  return `${file}.${backupStamp(at)}.bak`;
}

/**
 * Copies `file` to its backup. A backup is never overwritten: a second one in the same second
 * (install then remove in a script) gets `-2`, `-3`, ... after the stamp.
 */
export async function backUp(file: string, at: Date): Promise<string> {
  const first = backupPathFor(file, at);
  for (let n = 1; ; n++) {
    const backup = n === 1 ? first : first.replace(/\.bak$/, `-${n}.bak`);
    try {
      await copyFile(file, backup, constants.COPYFILE_EXCL);
      return backup;
    } catch (error) {
      const exists = error instanceof Error && 'code' in error && error.code === 'EEXIST';
      if (!exists || n >= 100) throw error;
    }
  }
}

/** Writes `bytes` to `file` through a flushed temporary file and a rename. */
export async function writeReplacing(file: string, bytes: Uint8Array, pid: number): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${pid}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Keep the original's permission bits (POSIX); Windows takes ACLs from the directory.
    const mode = await stat(file).then(
      (s) => s.mode & 0o7777,
      () => undefined,
    );
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
