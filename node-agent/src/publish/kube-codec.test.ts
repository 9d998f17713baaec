import { describe, expect, it } from '@jest/globals';
import type { V1ResourceSlice } from '@kubernetes/client-node';
import { fromModel, toModel } from './kube-codec.js';
import { buildSlices } from './slice-builder.js';

describe('kube-codec', () => {
  it('round-trips int, bool and string attributes through the client-node model', () => {
    const [s] = buildSlices({
      driverName: 'knd.dev',
      nodeName: 'n1',
      generation: 3,
      owner: { name: 'n1', uid: 'u' },
      devices: [
        {
          name: 'a',
          attributes: {
            'knd.dev/mtu': { int: 9000 },
            'knd.dev/rdma': { bool: true },
            'knd.dev/ifName': { string: 'x' },
          },
        },
      ],
    });
    if (!s) throw new Error('no slice');
    const m = toModel(s);
    expect(m.spec.devices?.[0]?.attributes?.['knd.dev/mtu']).toEqual({ _int: 9000 });
    expect(fromModel(m)).toEqual(s);
    // the wire JSON the REST client lists (int attributes named `int`) reads back the same
    expect(fromModel(JSON.parse(JSON.stringify(s)) as V1ResourceSlice)).toEqual(s);
  });
});
