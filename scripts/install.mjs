// `npm run setup` and CI: the pinned Node.js runtime, then `npm ci` on it (see lib/runtime.mjs).
import { installPackages, pinnedNode, PINNED_NODE } from './lib/runtime.mjs';

try {
  const node = pinnedNode();
  installPackages();
  process.stderr.write(`[runtime] Node.js ${PINNED_NODE}: ${node}\n`);
} catch (error) {
  process.stderr.write(`[runtime] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
