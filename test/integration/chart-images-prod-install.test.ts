// What the images ship, reproduced without Docker: a copy of package.json + package-lock.json
// installed with `npm ci --omit=dev` (as the Dockerfiles' deps stage does) next to the compiled dist/
// and proto/, then both entry points started. ES module imports resolve before main runs, so a
// runtime import of a devDependency fails here with ERR_MODULE_NOT_FOUND. Needs the npm registry
// (or a warm npm cache) and a prior `npm run build` (npm test builds before this tier).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const programs = [
  ['operator', 'dist/operator/src/main.js'],
  ['node-agent', 'dist/node-agent/src/main.js'],
] as const;
let dir = '';

beforeAll(() => {
  for (const [, main] of programs) {
    if (!existsSync(join(root, main))) throw new Error(`${main} is missing: run npm run build first`);
  }
  dir = mkdtempSync(join(tmpdir(), 'knd-prod-'));
  for (const f of ['package.json', 'package-lock.json', 'dist', 'proto']) {
    cpSync(join(root, f), join(dir, f), { recursive: true });
  }
  const r = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`npm ci --omit=dev failed (${r.status}): ${r.stderr}`);
}, 320_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('production install (npm ci --omit=dev)', () => {
  it('has no devDependency installed', () => {
    expect(existsSync(join(dir, 'node_modules', 'jest'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@kubernetes', 'client-node'))).toBe(true);
  });

  it.each(programs)('%s starts and answers --help from its own argument parser', (_name, main) => {
    const r = spawnSync('node', [main, '--help'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (package|module)/);
    expect(r.signal).toBeNull();
    // the usage comes from lib/util/flags.ts: proof that every import loaded and main ran
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: knd-(agent|operator) \[flags\]$/m);
  });
});
