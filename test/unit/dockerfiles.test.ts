// What can be checked about the images without a Docker engine: base images pinned to exact
// versions, the files each COPY takes from the build context exist and are not excluded by
// .dockerignore, production dependencies only in the final stage, a non-root operator, the agent's
// tools and native addon, and entry points that are the paths tsc emits. Pure file reading.
import { describe, it, expect } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentNodeFlags } from '../support/agent-process.js';

const root = join(import.meta.dirname, '..', '..');

interface Instr {
  op: string;
  args: string;
}

/** Dockerfile -> instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Instr[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? '' };
    });
}

const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

function ignored(path: string): boolean {
  return dockerignore.some((pat) => {
    const re = new RegExp(
      '^' +
        pat
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replaceAll('**/', '\u0000')
          .replace(/\*/g, '[^/]*')
          .replaceAll('\u0000', '(.*/)?') +
        '(/.*)?$',
    );
    return re.test(path);
  });
}

const files = ['Dockerfile.operator', 'Dockerfile.agent'] as const;
const parsed = Object.fromEntries(
  files.map((f) => [f, parseDockerfile(readFileSync(join(root, f), 'utf8'))]),
) as Record<(typeof files)[number], Instr[]>;

/** Instructions of the last stage (the image that ships). */
function finalStage(ins: Instr[]): Instr[] {
  const last = ins.map((i) => i.op).lastIndexOf('FROM');
  return ins.slice(last);
}

describe.each(files)('%s', (file) => {
  const ins = parsed[file];

  it('is multi-stage on one base image, a build argument whose default is an exact public node 20 bookworm-slim', () => {
    const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0] ?? '');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toBe('${NODE_IMAGE}');
    const arg = ins.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toMatch(
      /^NODE_IMAGE=docker\.io\/library\/node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/,
    );
    // the ARG comes before the first FROM, so every stage can use it
    expect(ins.indexOf(arg as (typeof ins)[number])).toBeLessThan(ins.findIndex((i) => i.op === 'FROM'));
  });

  it.each(
    ins
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1)),
  )('copies %s, which exists and is in the build context', (src) => {
    expect(existsSync(join(root, src))).toBe(true);
    expect(ignored(src.replace(/^\.\//, ''))).toBe(false);
  });

  it('ships production dependencies only (npm ci --omit=dev) and compiled JavaScript', () => {
    const final = finalStage(ins);
    const nodeModulesFrom = final.find((i) => i.op === 'COPY' && i.args.includes('node_modules'));
    const stageName = /--from=(\S+)/.exec(nodeModulesFrom?.args ?? '')?.[1] ?? '';
    const stageStart = ins.findIndex((i) => i.op === 'FROM' && i.args.endsWith(` AS ${stageName}`));
    const stage = ins.slice(
      stageStart,
      ins.findIndex((i, n) => n > stageStart && i.op === 'FROM'),
    );
    expect(stage.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    expect(final.some((i) => i.op === 'RUN' && /npm (ci|install)(?!.*--omit=dev)/.test(i.args))).toBe(false);
  });

  it('starts the compiled entry point of its program', () => {
    const entry = ins.find((i) => i.op === 'ENTRYPOINT')?.args ?? '';
    const program = file === 'Dockerfile.operator' ? 'operator' : 'node-agent';
    const argv = JSON.parse(entry) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.at(-1)).toBe(`dist/${program}/src/main.js`);
    // anything in between is a node option (V8 flags), never a program argument
    for (const flag of argv.slice(1, -1)) expect(flag).toMatch(/^--[a-z-]+=\S+$/);
    // tsc (rootDir ".", outDir dist) emits dist/<program>/src/main.js from this source
    expect(existsSync(join(root, program, 'src', 'main.ts'))).toBe(true);
  });
});

describe('Dockerfile.operator', () => {
  it('runs as a non-root user', () => {
    const user = finalStage(parsed['Dockerfile.operator']).find((i) => i.op === 'USER')?.args ?? 'root';
    expect(user).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
  });
});

describe('Dockerfile.agent', () => {
  const final = finalStage(parsed['Dockerfile.agent']);
  it('caps V8 young generation, the flags the test and bench agents are started with', () => {
    const entry = JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    expect(entry).toContain('--max-semi-space-size=2');
    expect(agentNodeFlags(root)).toEqual(entry.slice(1, -1));
  });
  it('installs iproute2 and ethtool in the image', () => {
    const apt = final.filter((i) => i.op === 'RUN' && i.args.includes('apt-get install')).map((i) => i.args);
    expect(apt.join(' ')).toMatch(/\biproute2\b/);
    expect(apt.join(' ')).toMatch(/\bethtool\b/);
  });
  it('builds the netlink addon in a build stage and ships it where the agent looks for it', () => {
    const all = parsed['Dockerfile.agent'];
    expect(all.some((i) => i.op === 'RUN' && i.args.includes('node-agent/native/build.sh'))).toBe(true);
    const copy = final.find((i) => i.op === 'COPY' && i.args.includes('knd_netlink.node'))?.args ?? '';
    expect(copy).toMatch(/ \.\/node-agent\/native\/build\/Release\/knd_netlink\.node$/);
  });
  it('ships the DRA and NRI protos the agent loads at run time', () => {
    expect(final.some((i) => i.op === 'COPY' && /^proto\s/.test(i.args))).toBe(true);
    expect(existsSync(join(root, 'proto', 'dra'))).toBe(true);
    expect(existsSync(join(root, 'proto', 'nri'))).toBe(true);
  });
});

describe('.dockerignore', () => {
  it.each([
    ['node_modules/x', true],
    ['node-agent/native/build/Release/x.node', true],
    ['test/e2e/a.ts', true],
    ['lib/api/constants.ts', false],
    ['proto/dra/api.proto', false],
  ] as const)('%s ignored: %s', (path, want) => {
    expect(ignored(path)).toBe(want);
  });
});
