// `knd discover [--sysfs-root DIR] [-o json|yaml] [--node-name NAME] [--filter CEL]
//               [--opt-in-virtual veth,macvlan] [--show-excluded]`
// Prints, without a cluster, the ResourceSlices (resource.k8s.io/v1, as a v1 List) the agent would
// publish for this node: the same discovery, naming, attributes and slice split. Differences from
// what the agent sends: no ownerReference (the Node's UID needs the apiserver) and generation 1.
// With --sysfs-root, discovery reads only that tree (no netlink: no IPs, link kinds or default routes);
// a directory without class/net is not a sysfs tree and is refused (exit 1), not read as "no NICs".
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { discoverOnce } from '../../node-agent/src/inventory/inventory.js';
import { buildSlices } from '../../node-agent/src/publish/slice-builder.js';
import { parseFlags, type Command } from '../command.js';

/** Why `dir` is not a sysfs tree knd can read, or undefined when it has a class/net directory. */
async function notSysfsTree(dir: string): Promise<string | undefined> {
  try {
    if ((await stat(join(dir, 'class', 'net'))).isDirectory()) return undefined;
    return 'not a sysfs tree (class/net is not a directory)';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'not a sysfs tree (no class/net)';
    return `cannot read it: ${(e as Error).message}`;
  }
}

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'Print the ResourceSlices the node agent would publish for this machine',
  usage:
    'knd discover [--sysfs-root DIR] [-o json|yaml] [--node-name NAME] [--filter CEL] [--opt-in-virtual TYPES] [--show-excluded]',
  async run(args, io) {
    const { flags, positional, errors } = parseFlags(args, {
      'sysfs-root': {},
      output: { alias: 'o' },
      'node-name': {},
      filter: {},
      'opt-in-virtual': {},
      'show-excluded': { boolean: true },
    });
    const output = typeof flags['output'] === 'string' ? flags['output'] : 'yaml';
    if (output !== 'json' && output !== 'yaml') errors.push(`-o: must be json or yaml, got "${output}"`);
    if (positional.length > 0) errors.push(`unexpected argument ${positional[0] ?? ''}`);
    if (errors.length > 0) {
      io.stderr(`${errors.join('\n')}\nUsage: ${this.usage}\n`);
      return 2;
    }
    const sysfsRoot = typeof flags['sysfs-root'] === 'string' ? flags['sysfs-root'] : undefined;
    const nodeName = typeof flags['node-name'] === 'string' ? flags['node-name'] : hostname().toLowerCase();
    const optIn =
      typeof flags['opt-in-virtual'] === 'string' ? flags['opt-in-virtual'].split(',').filter((s) => s) : [];
    if (sysfsRoot) {
      const problem = await notSysfsTree(sysfsRoot);
      if (problem) {
        io.stderr(`knd discover: --sysfs-root ${sysfsRoot}: ${problem}\n`);
        return 1;
      }
    }
    let result;
    try {
      result = await discoverOnce({
        ...(sysfsRoot ? { sysfsRoot, netlink: null } : {}),
        ...(typeof flags['filter'] === 'string' ? { filterCel: flags['filter'] } : {}),
        optInVirtualTypes: optIn,
      });
    } catch (e) {
      io.stderr(`knd discover: ${(e as Error).message}\n`);
      return 1;
    }
    const slices = buildSlices({ driverName: DRIVER_NAME, nodeName, generation: 1, devices: result.devices });
    const list = { apiVersion: 'v1', kind: 'List', metadata: {}, items: slices };
    const text =
      output === 'json' ? JSON.stringify(list, null, 2) : dump(list, { noRefs: true, lineWidth: -1 });
    io.stdout(text.endsWith('\n') ? text : `${text}\n`);
    for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
    if (flags['show-excluded'] === true) {
      for (const x of result.excluded) io.stderr(`excluded: ${x.subject}: ${x.reason}\n`);
    }
    return 0;
  },
};
