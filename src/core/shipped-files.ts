import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/**
 * The program's own files (its version, the live page's style and script, the reader thread,
 * the shipped rules), found the same way whether it runs from the source tree, from `dist/`, or
 * as the single executable of a release (Node's SEA). In the executable there is no file tree:
 * text files are assets inside it (see scripts/package.mjs, which names them), and the shipped
 * rules are the `rules/` directory beside the executable, so it works from any directory.
 */

/** True inside the release's single executable. */
export function inExecutable(): boolean {
  return isSea();
}

/** A text file of the program: the asset `key` in the executable, else the file at `url`. */
export function shippedText(key: string, url: URL): string {
  return isSea() ? getAsset(key, 'utf8') : readFileSync(url, 'utf8');
}

/**
 * A directory shipped beside the program: `<executable's directory>/<relative>` in the
 * executable, else the path of `url` (given relative to the calling module).
 */
export function shippedDir(relative: string, url: URL): string {
  return isSea() ? join(dirname(process.execPath), relative) : fileURLToPath(url);
}
