// `knd render -f FILE`: prints, as YAML, the DeviceClasses and ResourceClaimTemplates the operator
// would create for the NetworkDeviceClass / NetworkProfile documents in FILE, with no cluster (the
// operator's own render code). Other kinds are passed over. Invalid input: exit 1 and one line per
// problem with its field path; nothing is printed to stdout then.
import { dump } from 'js-yaml';
import { renderDocuments } from '../../operator/src/render/render-documents.js';
import { parseFlags, type Command } from '../command.js';
import { loadYamlDocuments } from '../load-yaml.js';

export const renderCommand: Command = {
  name: 'render',
  summary: 'Print the DeviceClasses and ResourceClaimTemplates the operator would generate',
  usage: 'knd render -f FILE [--namespace NS]   (FILE may be - for stdin; NS defaults to "default")',
  async run(args, io) {
    const { flags, errors } = parseFlags(args, { file: { alias: 'f' }, namespace: { alias: 'n' } });
    const file = flags['file'];
    if (errors.length > 0 || typeof file !== 'string') {
      io.stderr(`${errors.length > 0 ? errors.join('\n') : 'missing -f FILE'}\nUsage: ${this.usage}\n`);
      return 2;
    }
    let docs: unknown[];
    try {
      docs = loadYamlDocuments(await io.readFile(file));
    } catch (err) {
      io.stderr(`${file}: ${(err as Error).message}\n`);
      return 1;
    }
    const ns = typeof flags['namespace'] === 'string' ? flags['namespace'] : 'default';
    const out = renderDocuments(docs, ns);
    if (out.problems.length > 0) {
      for (const p of out.problems)
        io.stderr(`${file}: ${p.where}: ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
      return 1;
    }
    if (out.objects.length === 0) {
      io.stderr(`${file}: no NetworkDeviceClass or NetworkProfile documents\n`);
      return 1;
    }
    io.stdout(out.objects.map((o) => dump(o, { lineWidth: -1, noRefs: true })).join('---\n'));
    return 0;
  },
};
