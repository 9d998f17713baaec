// The programs' build (what the images compile: lib, operator, node-agent, cli with
// tsconfig.build.json's exclusions, see Dockerfile.agent) takes in no test code: no *.test.ts, nothing
// under test/, no test fakes, neither directly nor through an import.
import { describe, expect, it } from '@jest/globals';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');

function programFiles(): string[] {
  const base = ts.readConfigFile(join(root, 'tsconfig.build.json'), (p) => ts.sys.readFile(p));
  if (base.error) throw new Error(ts.flattenDiagnosticMessageText(base.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(
    { ...(base.config as object), include: ['lib', 'operator', 'node-agent', 'cli'] },
    ts.sys,
    root,
  );
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: { ...parsed.options, noEmit: true },
  });
  return program
    .getSourceFiles()
    .map((f) => relative(root, f.fileName))
    .filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'));
}

describe('the programs build', () => {
  it('compiles no test code', () => {
    const files = programFiles();
    expect(files).toContain('node-agent/src/main.ts');
    expect(files).toContain('operator/src/main.ts');
    expect(files.filter((f) => /\.test\.ts$|^test\/|test-support|\/testdata\//.test(f))).toEqual([]);
  });
});
