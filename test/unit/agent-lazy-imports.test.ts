// The node agent imports ajv and @bufbuild/cel (the NetworkConfig and IPPool validators) only on its
// first prepare, so an idle agent does not carry them (docs/dra-plugin.md, "Memory"). This walks the
// static imports (not `import()`, not `import type`) of the agent's sources from main.ts and fails
// when one of them reaches those packages.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const LAZY = ['ajv', 'ajv-formats', '@bufbuild/cel'];

/** package -> the import chain that reaches it first. */
function staticPackages(entry: string): Map<string, string[]> {
  const seen = new Set<string>();
  const out = new Map<string, string[]>();
  const todo: [string, string[]][] = [[entry, []]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [file, chain] = next;
    if (seen.has(file)) continue;
    seen.add(file);
    const here = [...chain, relative(root, file)];
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(
      /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
    )) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) {
        const ts = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        if (existsSync(ts)) todo.push([ts, here]);
      } else if (!spec.startsWith('node:') && !out.has(spec)) {
        out.set(spec, here);
      }
    }
  }
  return out;
}

describe('node agent start-up imports', () => {
  it('do not load the validators (ajv, CEL) before the first prepare', () => {
    const pkgs = staticPackages(join(root, 'node-agent', 'src', 'main.ts'));
    expect(pkgs.size).toBeGreaterThan(3); // the walk does find the agent's packages
    const eager = LAZY.filter((p) => pkgs.has(p)).map((p) => `${p}: ${(pkgs.get(p) ?? []).join(' -> ')}`);
    expect(eager).toEqual([]);
  });
});
