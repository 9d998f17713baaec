// Every NetworkConfig in examples/ (NetworkDeviceClass/NetworkProfile spec.config) passes the same
// validator the agent runs at prepare time and `knd validate-config` runs (lib/api), and every
// example folder has a README. A broken example fails here with the file and field path.
import { describe, it, expect } from '@jest/globals';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAll } from 'js-yaml';
import { findNetworkConfigs } from '../../cli/commands/validate-config.js';
import { formatProblems, validateNetworkConfig } from '../../lib/api/validate-network-config.js';
import { validateIPPoolSpec } from '../../lib/api/validate-ip-pool.js';

const root = join(import.meta.dirname, '..', '..');
const examplesDir = join(root, 'examples');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(n) ? [p] : [];
  });
}

const files = yamlFiles(examplesDir).map((p) => relative(root, p));
const configs = files.flatMap((f) =>
  loadAll(readFileSync(join(root, f), 'utf8')).flatMap((doc, i) =>
    findNetworkConfigs(doc, i).map((c) => ({ file: f, where: c.where, config: c.config })),
  ),
);

describe('examples/', () => {
  it('has the five scenarios, each with a README', () => {
    for (const d of ['ip-pool', 'rdma-gpu-aligned', 'secondary-nic', 'sriov-vf', 'gitops-team']) {
      expect(existsSync(join(examplesDir, d, 'README.md'))).toBe(true);
    }
  });

  it('carries NetworkConfigs to validate (the examples exercise the schema)', () => {
    // secondary-nic alone sets addresses, routes, rules, neighbors and ethtool features
    expect(configs.length).toBeGreaterThanOrEqual(6);
    const secondary = configs.find((c) => c.file.includes('secondary-nic/network-profile'));
    expect(Object.keys(secondary?.config as object).sort()).toEqual(
      ['ethtool', 'interface', 'neighbors', 'routes', 'rules'].sort(),
    );
  });

  it.each(configs.map((c) => [`${c.file}: ${c.where}`, c.config] as const))(
    '%s is valid',
    (_name, config) => {
      const r = validateNetworkConfig(config);
      expect(r.ok ? [] : formatProblems(r.problems)).toEqual([]);
    },
  );

  const pools = files.flatMap((f) =>
    (
      loadAll(readFileSync(join(root, f), 'utf8')) as {
        kind?: string;
        metadata?: { name?: string };
        spec?: unknown;
      }[]
    )
      .filter((d) => d.kind === 'IPPool')
      .map((d) => [`${f}: IPPool ${d.metadata?.name ?? ''}`, d.spec] as const),
  );
  it('has an IPPool example', () => {
    expect(pools.length).toBeGreaterThan(0);
  });
  it.each(pools)('%s is valid', (_name, spec) => {
    const r = validateIPPoolSpec(spec);
    expect(r.ok ? [] : formatProblems(r.problems)).toEqual([]);
  });

  it('the validator does reject a broken copy of an example (the test can fail)', () => {
    const secondary = configs.find((c) => c.file.includes('secondary-nic/network-profile'));
    const broken = structuredClone(secondary?.config) as { routes: { gateway?: string }[] };
    const first = broken.routes[0];
    if (first) first.gateway = 'not-an-ip';
    const r = validateNetworkConfig(broken);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : formatProblems(r.problems).join('\n')).toMatch(/routes\[0\]\.gateway/);
  });
});
