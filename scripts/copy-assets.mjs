// Part of `npm run build`: tsc compiles only TypeScript, so the live page's style and browser
// script (plain files, inlined into the page at run time) are copied next to their module.
import { cpSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/aggregate/page/', import.meta.url));
const to = fileURLToPath(new URL('../dist/aggregate/page/', import.meta.url));
for (const name of readdirSync(from).filter((n) => n.endsWith('.css') || n.endsWith('.js'))) {
  cpSync(`${from}${name}`, `${to}${name}`);
}
