import { describe, expect, it } from '@jest/globals';
import { envName, flagUsage, parseFlags, reportFlags, type FlagSpec } from './flags.js';

const specs: FlagSpec[] = [
  { name: 'name', kind: 'string', required: true, envAliases: ['OLD_NAME'], help: 'a name' },
  { name: 'verbose', kind: 'bool', default: 'false', help: 'more output' },
  { name: 'port', kind: 'port', default: '80', help: 'a port' },
  { name: 'count', kind: 'int', default: '1', min: 1, help: 'how many' },
  { name: 'ratio', kind: 'number', min: 0.5, unsetMeans: 'automatic', help: 'a ratio' },
  { name: 'color', kind: 'string', default: 'red', choices: ['red', 'blue'], help: 'a color' },
];

describe('parseFlags', () => {
  it.each<[string, string[], Record<string, string>, Record<string, unknown>]>([
    [
      'defaults',
      ['--name=a'],
      {},
      { name: 'a', verbose: false, port: 80, count: 1, ratio: undefined, color: 'red' },
    ],
    ['separate value', ['--name', 'a', '--count', '3'], {}, { name: 'a', count: 3 }],
    ['bool forms', ['--name=a', '--verbose'], {}, { verbose: true }],
    ['--no-bool', ['--name=a', '--no-verbose'], { KND_VERBOSE: 'true' }, { verbose: false }],
    ['bool =0/1', ['--name=a', '--verbose=1'], {}, { verbose: true }],
    ['env KND_<NAME>', [], { KND_NAME: 'e', KND_RATIO: '0.75' }, { name: 'e', ratio: 0.75 }],
    ['env alias', [], { OLD_NAME: 'o' }, { name: 'o' }],
    ['KND_ name before the alias', [], { OLD_NAME: 'o', KND_NAME: 'k' }, { name: 'k' }],
    ['flag before env', ['--color=blue'], { KND_NAME: 'e', KND_COLOR: 'red' }, { color: 'blue' }],
    ['value with =', ['--name=a=b'], {}, { name: 'a=b' }],
    ['a choice', ['--name=a', '--color', 'blue'], {}, { color: 'blue' }],
  ])('%s', (_n, argv, env, expected) => {
    const r = parseFlags(specs, argv, env);
    expect(r.kind).toBe('ok');
    expect(r.kind === 'ok' ? r.values : {}).toMatchObject(expected);
  });

  it.each<[string, string[], Record<string, string>, string[]]>([
    ['missing required', [], {}, ['--name (or $KND_NAME) is required']],
    ['unknown', ['--name=a', '--nope'], {}, ['unknown flag --nope']],
    ['positional', ['--name=a', 'x'], {}, ['unexpected argument "x" (flags start with --)']],
    [
      'single dash',
      ['-n', 'a'],
      {},
      [
        'unexpected argument "-n" (flags start with --)',
        'unexpected argument "a" (flags start with --)',
        '--name (or $KND_NAME) is required',
      ],
    ],
    ['no value at the end', ['--name'], {}, ['--name: needs a value', '--name (or $KND_NAME) is required']],
    [
      'a flag is not a value',
      ['--name', '--verbose'],
      {},
      ['--name: needs a value', '--name (or $KND_NAME) is required'],
    ],
    ['--no- with a value', ['--name=a', '--no-verbose=true'], {}, ['--no-verbose: takes no value']],
    ['--no- of a non-bool', ['--name=a', '--no-port'], {}, ['unknown flag --no-port']],
    [
      'bad bool from env',
      ['--name=a'],
      { KND_VERBOSE: 'yes' },
      ['$KND_VERBOSE: must be true or false, got "yes"'],
    ],
    ['bad port', ['--name=a', '--port=-1'], {}, ['--port: must be a port number 0-65535, got "-1"']],
    ['int below min', ['--name=a', '--count=0'], {}, ['--count: must be an integer >= 1, got "0"']],
    ['int with a fraction', ['--name=a', '--count=2.5'], {}, ['--count: must be an integer >= 1, got "2.5"']],
    ['number below min', ['--name=a', '--ratio=0.1'], {}, ['--ratio: must be a number >= 0.5, got "0.1"']],
    ['not a number', ['--name=a', '--ratio=1e3'], {}, ['--ratio: must be a number >= 0.5, got "1e3"']],
    ['choice', ['--name=a', '--color=green'], {}, ['--color: must be one of red, blue, got "green"']],
  ])('rejects: %s', (_n, argv, env, errors) => {
    expect(parseFlags(specs, argv, env)).toEqual({ kind: 'error', errors });
  });

  it.each([[['--help']], [['-h']], [['--nope', '-h']]])('%j is a help request', (argv) => {
    expect(parseFlags(specs, argv, {})).toEqual({ kind: 'help' });
  });
});

describe('usage and reporting', () => {
  it('names the environment variable of a flag', () => {
    expect(envName('node-name')).toBe('KND_NODE_NAME');
    expect(envName('lease-duration-seconds')).toBe('KND_LEASE_DURATION_SECONDS');
  });

  it('prints one line per flag with its description, default and environment variables', () => {
    const lines = flagUsage('prog', 'does things', specs).split('\n');
    expect(lines[0]).toBe('prog: does things');
    expect(lines).toContain('Usage: prog [flags]');
    const flagLines = lines.filter((l) => l.startsWith('  --'));
    expect(flagLines.map((l) => l.replace(/\s+/g, ' '))).toEqual([
      ' --name=<string> a name (required; env $KND_NAME or $OLD_NAME)',
      ' --verbose=<bool> more output (default false; env $KND_VERBOSE)',
      ' --port=<port> a port (default 80; env $KND_PORT)',
      ' --count=<int> how many (default 1; env $KND_COUNT)',
      ' --ratio=<number> a ratio (default: automatic; env $KND_RATIO)',
      ' --color=<string> a color (default red; one of red, blue; env $KND_COLOR)',
      ' --help, -h print this help and exit',
    ]);
  });

  it('help goes to stdout with exit 0, errors to stderr with exit 2', () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    expect(reportFlags('prog', 'USAGE', { kind: 'help' }, io)).toBe(0);
    expect(reportFlags('prog', 'USAGE', { kind: 'error', errors: ['unknown flag --x', 'bad'] }, io)).toBe(2);
    expect(out).toEqual(['USAGE']);
    expect(err).toEqual(['prog: unknown flag --x\nprog: bad\nRun prog --help for the flags.\n']);
  });
});
