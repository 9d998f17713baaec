// Command-line flags of both programs (node agent, operator): one style, one parser. Pure.
//
// Style: `--name=value` or `--name value`; booleans also `--name` (true) and `--no-name` (false).
// Every flag has an environment variable, KND_<NAME> (upper case, `-` -> `_`, e.g. KND_NODE_NAME
// for --node-name), plus the older names a flag listed in `envAliases`. A flag on the command line
// wins over the environment, which wins over the default. `--help` / `-h` asks for the usage
// (the caller prints it and exits 0). Unknown flags, positional arguments, a missing required flag
// and bad values are errors naming the flag or environment variable that carried them (the caller
// prints them and exits 2).

export type FlagKind = 'string' | 'bool' | 'port' | 'int' | 'number';
export type FlagValue = string | number | boolean | undefined;

export interface FlagSpec {
  /** Flag name without dashes: `node-name`. */
  name: string;
  kind: FlagKind;
  /** One line for --help. */
  help: string;
  /** Default as it would be typed; undefined: unset (the program decides, see `unsetMeans`). */
  default?: string;
  /** What an unset flag means, for --help (e.g. "in-cluster config"). */
  unsetMeans?: string;
  required?: boolean;
  /** Smallest accepted value (int, number). */
  min?: number;
  /** Accepted values (string). */
  choices?: readonly string[];
  /** Environment variables read too, after KND_<NAME> (names other tools already use). */
  envAliases?: readonly string[];
}

export type FlagsResult =
  { kind: 'help' } | { kind: 'ok'; values: Record<string, FlagValue> } | { kind: 'error'; errors: string[] };

/** A program's parsed configuration, or why there is none. */
export type ConfigResult<T> =
  { kind: 'ok'; config: T } | { kind: 'help' } | { kind: 'error'; errors: string[] };

/** parseFlags, then `build` the program's typed configuration from the checked values. */
export function parseConfig<T>(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  build: (values: Readonly<Record<string, FlagValue>>) => T,
): ConfigResult<T> {
  const r = parseFlags(specs, argv, env);
  return r.kind === 'ok' ? { kind: 'ok', config: build(r.values) } : r;
}

/** KND_<NAME> for a flag name. */
export function envName(flag: string): string {
  return `KND_${flag.toUpperCase().replaceAll('-', '_')}`;
}

const PLACEHOLDER: Record<FlagKind, string> = {
  string: 'string',
  bool: 'bool',
  port: 'port',
  int: 'int',
  number: 'number',
};

/** The --help text: a summary line, then one line per flag (description, default, environment). */
export function flagUsage(program: string, summary: string, specs: readonly FlagSpec[]): string {
  const heads = specs.map((s) => `  --${s.name}=<${PLACEHOLDER[s.kind]}>`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  const lines = specs.map((s, i) => {
    const def = s.required
      ? 'required'
      : s.default !== undefined
        ? `default ${s.default === '' ? '""' : s.default}`
        : `default: ${s.unsetMeans ?? 'unset'}`;
    const choices = s.choices ? `; one of ${s.choices.join(', ')}` : '';
    const env = [envName(s.name), ...(s.envAliases ?? [])].map((e) => `$${e}`).join(' or ');
    return `${(heads[i] ?? '').padEnd(width)}${s.help} (${def}${choices}; env ${env})`;
  });
  return [
    `${program}: ${summary}`,
    '',
    `Usage: ${program} [flags]`,
    '',
    'Flags (--name=value or --name value; booleans also --name and --no-name). A flag wins over its',
    'environment variable, which wins over the default.',
    ...lines,
    `  --help, -h`.padEnd(width) + 'print this help and exit',
    '',
  ].join('\n');
}

function convert(spec: FlagSpec, raw: string, source: string): { value: FlagValue } | { error: string } {
  const got = JSON.stringify(raw);
  switch (spec.kind) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw))
        return { error: `${source}: must be one of ${spec.choices.join(', ')}, got ${got}` };
      return { value: raw };
    case 'bool':
      if (['true', '1'].includes(raw)) return { value: true };
      if (['false', '0'].includes(raw)) return { value: false };
      return { error: `${source}: must be true or false, got ${got}` };
    case 'port': {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n > 65535)
        return { error: `${source}: must be a port number 0-65535, got ${got}` };
      return { value: n };
    }
    case 'int':
    case 'number': {
      const n = Number(raw);
      const min = spec.min ?? Number.NEGATIVE_INFINITY;
      const shape = spec.kind === 'int' ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
      if (!shape.test(raw) || !Number.isFinite(n) || n < min) {
        const what = spec.kind === 'int' ? 'an integer' : 'a number';
        const bound = Number.isFinite(min) ? ` >= ${String(min)}` : '';
        return { error: `${source}: must be ${what}${bound}, got ${got}` };
      }
      return { value: n };
    }
  }
}

/** Parse argv and env against the specs; values are keyed by flag name. */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): FlagsResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const given = new Map<string, string>();
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--help' || a === '-h') return { kind: 'help' };
    if (!a.startsWith('--') || a === '--') {
      errors.push(`unexpected argument ${JSON.stringify(a)} (flags start with --)`);
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string | undefined = eq > 0 ? a.slice(eq + 1) : undefined;
    if (!byName.has(name) && name.startsWith('no-') && byName.get(name.slice(3))?.kind === 'bool') {
      if (value !== undefined) {
        errors.push(`--${name}: takes no value`);
        continue;
      }
      name = name.slice(3);
      value = 'false';
    }
    const spec = byName.get(name);
    if (!spec) {
      errors.push(`unknown flag --${name}`);
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.kind === 'bool') value = 'true';
      else if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      } else {
        errors.push(`--${name}: needs a value`);
        continue;
      }
    }
    given.set(name, value);
  }
  const values: Record<string, FlagValue> = {};
  for (const spec of specs) {
    let raw = given.get(spec.name);
    let source = `--${spec.name}`;
    if (raw === undefined) {
      for (const e of [envName(spec.name), ...(spec.envAliases ?? [])]) {
        const v = env[e];
        if (v !== undefined) {
          raw = v;
          source = `$${e}`;
          break;
        }
      }
    }
    raw ??= spec.default;
    if (raw === undefined || (spec.required && raw === '')) {
      if (spec.required) errors.push(`--${spec.name} (or $${envName(spec.name)}) is required`);
      values[spec.name] = undefined;
      continue;
    }
    const r = convert(spec, raw, source);
    if ('error' in r) errors.push(r.error);
    else values[spec.name] = r.value;
  }
  return errors.length > 0 ? { kind: 'error', errors } : { kind: 'ok', values };
}

export interface FlagsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * What a program's main() does with a parse result that is not a configuration: the usage on stdout
 * and exit code 0 for --help; the errors and a hint on stderr and exit code 2 otherwise.
 */
export function reportFlags(
  program: string,
  usage: string,
  r: { kind: 'help' } | { kind: 'error'; errors: readonly string[] },
  io: FlagsIo,
): number {
  if (r.kind === 'help') {
    io.stdout(usage);
    return 0;
  }
  io.stderr(`${r.errors.map((e) => `${program}: ${e}`).join('\n')}\nRun ${program} --help for the flags.\n`);
  return 2;
}
