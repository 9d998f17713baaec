// The generated message types (generated/nri-api.ts) describe what NriProto.decode returns: checked
// here on every message of the real proto/nri/api.proto, decoded from an empty message (all
// defaults) and from a populated one.
import { describe, expect, it } from '@jest/globals';
import protobuf from 'protobufjs';
import { samplePod } from '../../../test/support/sample-plan.js';
import { decodeNri, encodeNri } from './nri-messages.js';
import { NRI_PACKAGE, loadNriProto } from './nri-proto.js';

const proto = loadNriProto();
const pkg = proto.root.lookup(NRI_PACKAGE) as protobuf.Namespace;
const messages = pkg.nestedArray.filter((t): t is protobuf.Type => t instanceof protobuf.Type);

/** What the generator promises for a field's decoded default. */
function expectedDefault(field: protobuf.Field): unknown {
  if (field.map) return {};
  if (field.repeated) return [];
  if (field.resolvedType instanceof protobuf.Type) return null;
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  if (field.type === 'string') return '';
  if (field.type === 'bool') return false;
  if (field.type === 'bytes') return Buffer.alloc(0);
  return 0; // every numeric type, 64-bit ones included (longs: Number)
}

describe('decoded NRI messages match their generated types', () => {
  it('covers every message of the package', () => {
    expect(messages.length).toBeGreaterThan(50);
  });

  it.each(messages.map((t) => [t.name, t] as const))(
    '%s: every field present with its default',
    (_n, type) => {
      const decoded = proto.decode(type.fullName.slice(1), new Uint8Array());
      expect(Object.keys(decoded).sort()).toEqual(type.fieldsArray.map((f) => f.name).sort());
      for (const field of type.fieldsArray)
        expect([field.name, decoded[field.name]]).toEqual([field.name, expectedDefault(field)]);
    },
  );

  it('decodes 64-bit integers and enums as numbers, messages as objects', () => {
    const bytes = encodeNri(proto, 'StateChangeEvent', {
      event: 3,
      pod: samplePod('u1'),
      container: { id: 'c', created_at: 2 ** 40, state: 3, labels: { a: 'b' } },
    });
    const ev = decodeNri(proto, 'StateChangeEvent', bytes);
    expect(ev.event).toBe(3);
    expect(ev.pod?.uid).toBe('u1');
    expect(ev.pod?.linux?.namespaces).toEqual([{ type: 'network', path: '/var/run/netns/cni-u1' }]);
    expect(ev.container).toMatchObject({ id: 'c', created_at: 2 ** 40, state: 3, labels: { a: 'b' } });
  });
});
