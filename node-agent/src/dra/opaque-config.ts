// Pure: collect, validate and merge knd's opaque configs for one request of an allocated claim. DRA order
// (resource.k8s.io/v1 DeviceAllocationConfiguration): FromClass entries before FromClaim entries, each in
// list order, later wins; an entry with empty `requests` applies to every request; configs of other drivers
// are ignored. Every config is validated on its own first, so a problem names where it came from; the merged
// result is validated again (rules across fields).
import { mergeNetworkConfigs, type NetworkConfig } from '../../../lib/api/network-config.js';
import type { formatProblems, validateNetworkConfig } from '../../../lib/api/validate-network-config.js';
import type { DeviceAllocationConfiguration } from './claim-types.js';

export type ConfigResult = { ok: true; config: NetworkConfig } | { ok: false; errors: string[] };

/**
 * The NetworkConfig validator (lib/api/validate-network-config.ts), passed in rather than imported:
 * it loads ajv and @bufbuild/cel, which the agent loads only on its first prepare
 * (loadConfigValidator) so an idle agent does not carry them (docs/dra-plugin.md, "Memory").
 */
export interface ConfigValidator {
  validateNetworkConfig: typeof validateNetworkConfig;
  formatProblems: typeof formatProblems;
}

let loading: Promise<ConfigValidator> | undefined;
/** The validator module, imported once on first use. */
export function loadConfigValidator(): Promise<ConfigValidator> {
  loading ??= import('../../../lib/api/validate-network-config.js');
  return loading;
}

/** `nic/sub` -> `nic`. */
export function baseRequestName(request: string): string {
  const i = request.indexOf('/');
  return i < 0 ? request : request.slice(0, i);
}

function appliesTo(c: DeviceAllocationConfiguration, request: string): boolean {
  const reqs = c.requests ?? [];
  return reqs.length === 0 || reqs.includes(request) || reqs.includes(baseRequestName(request));
}

export function configForRequest(
  configs: readonly DeviceAllocationConfiguration[],
  request: string,
  driverName: string,
  { validateNetworkConfig, formatProblems }: ConfigValidator,
): ConfigResult {
  const mine = configs
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.opaque?.driver === driverName && appliesTo(c, request));
  const ordered = [
    ...mine.filter(({ c }) => c.source === 'FromClass'),
    ...mine.filter(({ c }) => c.source !== 'FromClass'),
  ];
  const errors: string[] = [];
  const valid: NetworkConfig[] = [];
  for (const { c, index } of ordered) {
    const r = validateNetworkConfig(c.opaque?.parameters ?? {});
    if (r.ok) valid.push(r.value);
    else {
      const from = c.source === 'FromClass' ? 'from the DeviceClass' : 'from the claim';
      for (const line of formatProblems(r.problems)) {
        errors.push(`opaque config ${from} (allocation config[${index}]) for request "${request}": ${line}`);
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const merged = mergeNetworkConfigs(valid);
  const check = validateNetworkConfig(merged);
  if (!check.ok) {
    return {
      ok: false,
      errors: formatProblems(check.problems).map(
        (l) => `merged opaque config for request "${request}": ${l}`,
      ),
    };
  }
  return { ok: true, config: merged };
}
