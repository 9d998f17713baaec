// `knd` command entry: dispatches to one subcommand per file under cli/commands/.
import { readFile } from 'node:fs/promises';
import type { Command, CommandIO } from './command.js';
import { commands } from './commands/index.js';

function help(all: readonly Command[]): string {
  const width = Math.max(...all.map((c) => c.name.length));
  return [
    'knd: Kubernetes Network Driver tools',
    '',
    'Usage: knd <command> [flags]',
    '',
    'Commands:',
    ...all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `knd <command> --help` for the flags of a command.',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help(commands) + '\n');
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`knd: unknown command "${name}"\n\n${help(commands)}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${cmd.summary}\n\nUsage: ${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(rest, io);
}

export const processIO: CommandIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: async (p) => (p === '-' ? readStdin() : readFile(p, 'utf8')),
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
