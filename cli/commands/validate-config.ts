// `knd validate-config -f FILE`: checks NetworkConfig documents with the agent's own validator, so
// GitOps pipelines catch mistakes before a pod does. Accepts a bare NetworkConfig, or any
// ResourceClaim, ResourceClaimTemplate or DeviceClass whose opaque config is for driver knd.dev
// (multi-document YAML is fine). Exit 0 when all are valid, 1 with one line per problem otherwise.
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { formatProblems, validateNetworkConfig } from '../../lib/api/validate-network-config.js';
import { parseFlags, type Command } from '../command.js';
import { loadYamlDocuments } from '../load-yaml.js';

interface Found {
  where: string;
  config: unknown;
}

/** Find the knd.dev opaque parameters in one document; a bare NetworkConfig is itself. */
export function findNetworkConfigs(doc: unknown, docIndex: number): Found[] {
  if (doc === null || typeof doc !== 'object') return [];
  const d = doc as Record<string, unknown>;
  const kind = typeof d['kind'] === 'string' ? d['kind'] : '';
  const name = (d['metadata'] as Record<string, unknown> | undefined)?.['name'];
  const label = `${kind || 'document'}${typeof name === 'string' ? `/${name}` : ''} (document ${docIndex + 1})`;
  if (
    kind === 'NetworkConfig' ||
    (!kind && (d['interface'] ?? d['routes'] ?? d['rules'] ?? d['neighbors']))
  ) {
    return [{ where: label, config: d }];
  }
  const spec = d['spec'] as Record<string, unknown> | undefined;
  let configs: unknown;
  let base = '';
  if (kind === 'DeviceClass') {
    configs = spec?.['config'];
    base = 'spec.config';
  } else if (kind === 'ResourceClaim') {
    configs = (spec?.['devices'] as Record<string, unknown> | undefined)?.['config'];
    base = 'spec.devices.config';
  } else if (kind === 'ResourceClaimTemplate') {
    const inner = spec?.['spec'] as Record<string, unknown> | undefined;
    configs = (inner?.['devices'] as Record<string, unknown> | undefined)?.['config'];
    base = 'spec.spec.devices.config';
  } else if (kind === 'NetworkProfile' || kind === 'NetworkDeviceClass') {
    return spec?.['config'] === undefined ? [] : [{ where: `${label} spec.config`, config: spec['config'] }];
  }
  if (!Array.isArray(configs)) return [];
  const out: Found[] = [];
  configs.forEach((c: unknown, i: number) => {
    const opaque = (c as Record<string, unknown> | null)?.['opaque'] as Record<string, unknown> | undefined;
    if (opaque?.['driver'] === DRIVER_NAME) {
      out.push({ where: `${label} ${base}[${i}].opaque.parameters`, config: opaque['parameters'] });
    }
  });
  return out;
}

export const validateConfigCommand: Command = {
  name: 'validate-config',
  summary: 'Validate NetworkConfig parameters (bare, or inside claims, templates and classes)',
  usage: 'knd validate-config -f FILE   (FILE may be - for stdin)',
  async run(args, io) {
    const { flags, errors } = parseFlags(args, { file: { alias: 'f' } });
    if (errors.length > 0 || typeof flags['file'] !== 'string') {
      io.stderr(
        `${[...errors, 'missing -f FILE'].slice(0, errors.length || 1).join('\n')}\nUsage: ${this.usage}\n`,
      );
      return 2;
    }
    let docs: unknown[];
    try {
      docs = loadYamlDocuments(await io.readFile(flags['file']));
    } catch (err) {
      io.stderr(`${flags['file']}: ${(err as Error).message}\n`);
      return 1;
    }
    const found = docs.flatMap((d, i) => findNetworkConfigs(d, i));
    if (found.length === 0) {
      io.stderr(
        `${flags['file']}: no NetworkConfig found (a bare NetworkConfig, or opaque config for driver ${DRIVER_NAME})\n`,
      );
      return 1;
    }
    let bad = 0;
    for (const f of found) {
      const r = validateNetworkConfig(f.config);
      if (!r.ok) {
        bad++;
        for (const line of formatProblems(r.problems)) io.stdout(`${f.where}: ${line}\n`);
      }
    }
    if (bad === 0) io.stdout(`${found.length} NetworkConfig(s) valid\n`);
    return bad === 0 ? 0 : 1;
  },
};
