// A `knd` subcommand: parsed argv in, exit code out. Output goes to the given streams so tests can
// call commands in-process.
export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Minimal flag parser: `--flag value`, `--flag=value`, `-f value`, boolean `--flag`. */
export function parseFlags(
  args: string[],
  spec: Record<string, { alias?: string; boolean?: boolean }>,
): { flags: Record<string, string | boolean>; positional: string[]; errors: string[] } {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  const errors: string[] = [];
  const byAlias = new Map<string, string>();
  for (const [k, v] of Object.entries(spec)) {
    byAlias.set(`--${k}`, k);
    if (v.alias) byAlias.set(`-${v.alias}`, k);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = byAlias.get(eq > 0 ? a.slice(0, eq) : a);
    if (!key) {
      errors.push(`unknown flag ${a}`);
      continue;
    }
    if (spec[key]?.boolean) {
      flags[key] = true;
    } else if (eq > 0) {
      flags[key] = a.slice(eq + 1);
    } else if (i + 1 < args.length) {
      flags[key] = args[++i] as string;
    } else {
      errors.push(`flag ${a} needs a value`);
    }
  }
  return { flags, positional, errors };
}
