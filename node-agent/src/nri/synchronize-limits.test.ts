// What one Synchronize may carry: pods and containers counted on the wire before decoding, limits
// held across split (`more`) parts, and the plugin service answering RESOURCE_EXHAUSTED quickly for
// millions of empty pods instead of blocking the event loop for seconds.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../lib/util/logger.js';
import type { HandlerDeps } from './handler-deps.js';
import { KeyedLock } from './keyed-lock.js';
import { decodeNri, encodeNri } from './nri-messages.js';
import { kndHooks } from './knd-hooks.js';
import { NRI_PLUGIN_SERVICE, loadNriProto } from './nri-proto.js';
import { walkTopLevelFields } from './protobuf-wire.js';
import { stubService } from './stub/stub-service.js';
import { SYNC_LIMITS, SyncCollector, scanSyncPart } from './synchronize.js';
import { MemoryPlanStore } from '../../../test/support/nri/memory-plan-store.js';
import { RecordingNetns } from '../../../test/support/nri/recording-netns.js';
import { RecordingStatus } from '../../../test/support/nri/recording-status.js';
import { samplePod } from '../../../test/support/sample-plan.js';
import type { CallContext } from './transport/ttrpc-server.js';
import { Code, TtrpcStatusError } from './transport/ttrpc-status.js';

const proto = loadNriProto();

/** `count` empty entries of field 1 (pods) or 2 (containers): two bytes each on the wire. */
function emptyEntries(field: 1 | 2, count: number): Buffer {
  const out = Buffer.alloc(2 * count);
  for (let i = 0; i < count; i++) out[2 * i] = (field << 3) | 2;
  return out;
}

const statusOf = (f: () => unknown): { code: number; message: string } | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof TtrpcStatusError) return { code: e.code, message: e.message };
    throw e;
  }
};

describe('walkTopLevelFields', () => {
  it('visits each top-level field with its record range', () => {
    const bytes = encodeNri(proto, 'SynchronizeRequest', {
      pods: [samplePod('a'), samplePod('b')],
      containers: [{ id: 'c' }],
      more: true,
    });
    const seen: [number, number, number][] = [];
    const r = walkTopLevelFields(bytes, 10, (field, start, end) => seen.push([field, start, end]));
    expect(r.ok).toBe(true);
    expect(seen.map(([f]) => f)).toEqual([1, 1, 2, 3]);
    expect(seen[0]?.[1]).toBe(0);
    expect(seen.at(-1)?.[2]).toBe(bytes.length);
  });

  it.each([
    ['a truncated length', Buffer.from([0x0a, 0x05, 0x00]), /runs past the end/],
    ['a varint that never ends', Buffer.from([0x18, 0xff, 0xff]), /malformed varint/],
    ['field number 0', Buffer.from([0x02, 0x00]), /field number 0/],
    ['a group wire type', Buffer.from([0x0b]), /unsupported wire type 3/],
    ['too many fields', emptyEntries(1, 6), /more than 5 fields/],
  ])('refuses %s', (_name, bytes, message) => {
    const r = walkTopLevelFields(bytes, 5, () => undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
  });
});

describe('scanSyncPart', () => {
  it('counts pods and containers and drops the containers before decoding', () => {
    const bytes = encodeNri(proto, 'SynchronizeRequest', {
      pods: [samplePod('a'), samplePod('b')],
      containers: [{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }],
      more: true,
    });
    const part = scanSyncPart(bytes);
    expect([part.pods, part.containers]).toEqual([2, 3]);
    const req = decodeNri(proto, 'SynchronizeRequest', part.withoutContainers);
    expect(req.pods.map((p) => p.uid)).toEqual(['a', 'b']);
    expect(req.containers).toEqual([]);
    expect(req.more).toBe(true);
  });

  it('refuses 2 million empty pods (a full 4 MiB message) in milliseconds, without decoding', () => {
    const bytes = emptyEntries(1, 2_000_000);
    const start = performance.now();
    const status = statusOf(() => scanSyncPart(bytes));
    const elapsedMs = performance.now() - start;
    expect(status?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(status?.message).toBe(
      'Synchronize: more than 60001 entries in one request (limits: 10000 pods, 50000 containers per synchronization)',
    );
    expect(elapsedMs).toBeLessThan(1000); // generous: decoding them took ~4 s, the walk stops early
  });

  it('refuses malformed bytes as INVALID_ARGUMENT', () => {
    expect(statusOf(() => scanSyncPart(Buffer.from([0x0a, 0x09]))))?.toEqual({
      code: Code.INVALID_ARGUMENT,
      message: 'Synchronize: protobuf: field 1 runs past the end',
    });
  });
});

describe('SyncCollector limits', () => {
  const limits = { maxPods: 3, maxContainers: 5 };

  it('holds the limits across the parts of one split Synchronize, then starts over', () => {
    const c = new SyncCollector(limits);
    c.admit({ pods: 2, containers: 4 });
    c.add([samplePod('a'), samplePod('b')], true);
    expect(
      statusOf(() => {
        c.admit({ pods: 2, containers: 0 });
      }),
    ).toEqual({
      code: Code.RESOURCE_EXHAUSTED,
      message: 'Synchronize: 4 pods exceed the limit of 3 per synchronization',
    });
    // the refused Synchronize is forgotten: a new one starts from zero
    c.admit({ pods: 3, containers: 5 });
    expect(c.add([samplePod('c')], false)?.map((p) => p.uid)).toEqual(['c']);
    c.admit({ pods: 3, containers: 5 }); // and after a completed one too
    expect(
      statusOf(() => {
        c.admit({ pods: 0, containers: 1 });
      })?.message,
    ).toBe('Synchronize: 6 containers exceed the limit of 5 per synchronization');
  });

  it('defaults to SYNC_LIMITS', () => {
    const c = new SyncCollector();
    c.admit({ pods: SYNC_LIMITS.maxPods, containers: SYNC_LIMITS.maxContainers });
    expect(
      statusOf(() => {
        c.admit({ pods: 1, containers: 0 });
      })?.code,
    ).toBe(Code.RESOURCE_EXHAUSTED);
  });
});

describe('Synchronize handler', () => {
  const deps = (): HandlerDeps => ({
    store: new MemoryPlanStore(),
    netns: new RecordingNetns(),
    status: new RecordingStatus(),
    logger: silentLogger(),
    podLock: new KeyedLock(),
    nowMs: () => performance.now(),
  });
  const ctx: CallContext = {
    service: NRI_PLUGIN_SERVICE,
    method: 'Synchronize',
    timeoutMs: 2000,
    metadata: [],
  };

  it('answers RESOURCE_EXHAUSTED for pods over the limit across parts, and reconciles a valid one', async () => {
    const reconciled: number[] = [];
    const service = stubService(
      proto,
      kndHooks({ deps: deps(), onReconciled: (r) => reconciled.push(r.orphaned) }),
    );
    const handler = service.get(NRI_PLUGIN_SERVICE)?.get('Synchronize');
    if (!handler) throw new Error('no Synchronize handler');
    // as the ttrpc server calls it: a synchronous throw becomes the call's error status
    const sync = (payload: Uint8Array, c: CallContext): Promise<Uint8Array> =>
      Promise.resolve().then(() => handler(payload, c));
    const part = (pods: number, more: boolean): Buffer =>
      Buffer.concat([emptyEntries(1, pods), Buffer.from(encodeNri(proto, 'SynchronizeRequest', { more }))]);

    await sync(part(SYNC_LIMITS.maxPods - 1, true), ctx);
    const start = performance.now();
    const refused = await sync(part(2, false), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TtrpcStatusError);
    expect((refused as TtrpcStatusError).code).toBe(Code.RESOURCE_EXHAUSTED);
    expect((refused as TtrpcStatusError).message).toBe(
      'Synchronize: 10001 pods exceed the limit of 10000 per synchronization',
    );
    expect(performance.now() - start).toBeLessThan(1000);
    expect(reconciled).toEqual([]);

    const ok = await sync(
      Buffer.from(encodeNri(proto, 'SynchronizeRequest', { pods: [samplePod('a')] })),
      ctx,
    );
    expect(decodeNri(proto, 'SynchronizeResponse', ok).more).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(reconciled).toEqual([0]);
  });
});
