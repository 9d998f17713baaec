import { describe, it, expect } from '@jest/globals';
import { networkConfigSchema, type JsonSchema } from './network-config-schema.js';
import { toStructural } from './crd-common.js';
import { allCrds, networkDeviceClassCrd, networkProfileCrd } from './crd-schema.js';
import { crdReferenceMarkdown } from './crd-reference.js';

function walk(s: JsonSchema, visit: (s: JsonSchema, path: string) => void, path = ''): void {
  visit(s, path);
  for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, visit, `${path}.${k}`);
  if (s.items) walk(s.items, visit, `${path}[]`);
  if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, visit, `${path}{}`);
}

const specOf = (crd: ReturnType<typeof networkProfileCrd>) => {
  const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
  return root?.properties?.['spec'];
};

describe('CRD schemas', () => {
  it.each([
    ['NetworkDeviceClass', networkDeviceClassCrd()],
    ['NetworkProfile', networkProfileCrd()],
  ])('%s embeds the one NetworkConfig schema as spec.config (structural form)', (_k, crd) => {
    const noDesc = (x: JsonSchema | undefined): JsonSchema => ({ ...x, description: '' });
    expect(noDesc(specOf(crd)?.properties?.['config'])).toEqual(noDesc(toStructural(networkConfigSchema)));
  });

  it('structural conversion drops additionalProperties:false and keeps the CEL rules', () => {
    const strict: JsonSchema = {
      type: 'object',
      additionalProperties: false,
      properties: {
        a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', message: 'm' }] },
      },
    };
    expect(toStructural(strict)).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', message: 'm' }] },
      },
    });
  });

  it('no schema node uses constructs a structural schema forbids', () => {
    for (const crd of allCrds()) {
      const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
      if (!root) throw new Error('no schema');
      walk(root, (s, path) => {
        expect([path, s.additionalProperties]).not.toEqual([path, false]);
        for (const b of s.anyOf ?? [])
          expect([path, b.type, b.description]).toEqual([path, undefined, undefined]);
        if (path !== '' && !s.anyOf) expect([path, s.type]).not.toEqual([path, undefined]);
      });
    }
  });

  it('names, scopes and short names', () => {
    expect(allCrds().map((c) => [c.metadata.name, c.spec.scope, c.spec.names.shortNames])).toEqual([
      ['networkdeviceclasses.knd.dev', 'Cluster', ['ndc']],
      ['networkprofiles.knd.dev', 'Namespaced', ['netprof']],
      ['ippools.knd.dev', 'Cluster', ['ippool']],
      ['ipallocations.knd.dev', 'Cluster', ['ipalloc']],
    ]);
  });

  it('the reference lists every spec field with its description', () => {
    const md = crdReferenceMarkdown(allCrds());
    for (const f of [
      'spec.selector.vendors',
      'spec.alignment.attribute',
      'spec.config.routes[].gateway',
      'status.matchedNodes',
      'spec.config.ipam.ipv4Pool',
      'spec.ipv4.exclude',
      'spec.ipv6.routes[].gateway',
      'status.ipv4.free',
      'spec.claim.uid',
    ]) {
      expect(md).toContain(`\`${f}\``);
    }
  });
});
