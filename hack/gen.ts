// Generates the files derived from TypeScript definitions (CRD YAML under crds/, the chart's copy,
// the README's reference tables). `--check` fails when a committed file differs: CI runs it.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generatedFiles } from './generated-files.js';

const root = join(import.meta.dirname, '..', '..');
const check = process.argv.includes('--check');
let drift = 0;
for (const f of await generatedFiles()) {
  const path = join(root, f.path);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === f.content) continue;
  if (check) {
    console.error(`${f.path} is out of date: run npm run gen and commit the result`);
    drift++;
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content);
    console.log(`wrote ${f.path}`);
  }
}
process.exitCode = drift > 0 ? 1 : 0;
