/**
 * The data directory is checked before anything opens a file in it. A typo in `dataDir` or a
 * read-only disk must stop the start with the path named (exit 2), not show up later as an
 * outbox that cannot keep what it was handed. The folder itself is created (a first start, or a
 * service install that did not), its parent never is: a missing parent is a wrong path far more
 * often than a wish for a new tree of folders. Writability is proven by writing, because the
 * mode bits say nothing about a read-only mount and nothing to root.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Why `dataDir` cannot be used, or null when it exists (now) and accepts a file. */
export async function checkDataDir(dataDir: string): Promise<string | null> {
  const path = resolve(dataDir);
  const named = `dataDir ${path}`;
  const found = await kindOf(path);
  if (typeof found === 'object')
    return `${named} cannot be reached (${found.unreachable}); check the path and its permissions`;
  if (found === 'other') return `${named} is not a folder; point dataDir at a folder`;
  if (found === 'missing') {
    const parent = dirname(path);
    if ((await kindOf(parent)) !== 'folder')
      return `${named} does not exist, nor does its parent folder ${parent}; create it or fix dataDir in the config`;
    try {
      await mkdir(path);
    } catch (error) {
      return `${named} cannot be created (${reasonOf(error)}); create it or fix dataDir in the config`;
    }
  }
  const probe = resolve(path, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
    await unlink(probe);
  } catch (error) {
    return `${named} is not writable (${reasonOf(error)}); give the service's user write access or choose another dataDir`;
  }
  return null;
}

async function kindOf(path: string): Promise<'folder' | 'other' | 'missing' | { unreachable: string }> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : { unreachable: reasonOf(error) };
  }
}

function reasonOf(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ?? message;
}
