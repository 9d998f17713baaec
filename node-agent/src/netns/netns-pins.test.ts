import { describe, expect, it } from '@jest/globals';
import { entryPath, keepPinAfterFailedAttach, NetnsPins, pinAction, type PinFs } from './netns-pins.js';

/** Files and mounts in memory: a mount makes the target show the source's identity. */
function fakeFs(
  namespaces: Record<string, string>,
): PinFs & { mounts: Map<string, string[]>; log: string[] } {
  const files = new Set<string>();
  const mounts = new Map<string, string[]>();
  const log: string[] = [];
  return {
    mounts,
    log,
    touch: (p) => {
      files.add(p);
    },
    identity: (p) => {
      const layers = mounts.get(p);
      if (layers !== undefined && layers.length > 0) return layers[layers.length - 1];
      if (files.has(p)) return `file:${p}`;
      return namespaces[p];
    },
    bindMount: (src, dst) => {
      const id = namespaces[src];
      if (id === undefined) throw Object.assign(new Error(`ENOENT ${src}`), { code: 'ENOENT' });
      mounts.set(dst, [...(mounts.get(dst) ?? []), id]);
      log.push(`mount ${src} ${dst}`);
    },
    unmountDetach: (dst) => {
      const layers = mounts.get(dst);
      if (layers === undefined || layers.length === 0)
        throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
      layers.pop();
      log.push(`umount ${dst}`);
    },
    unlink: (p) => {
      files.delete(p);
      log.push(`unlink ${p}`);
    },
  };
}

const rec = (deviceName: string, podUid = 'pod-a') => ({ claimUid: 'claim-1', podUid, deviceName });
const NS = { '/run/netns/cni-a': 'ns:1', '/run/netns/cni-b': 'ns:2' };

describe('pinAction', () => {
  it.each([
    { what: 'an empty pin file', pinId: 'file:/p', netnsId: 'ns:1', want: 'mount' },
    { what: 'no pin file yet', pinId: undefined, netnsId: 'ns:1', want: 'mount' },
    { what: 'a stale pin of another namespace', pinId: 'ns:9', netnsId: 'ns:1', want: 'mount' },
    { what: 'the namespace already pinned', pinId: 'ns:1', netnsId: 'ns:1', want: 'pinned' },
  ] as const)('$what -> $want', ({ pinId, netnsId, want }) => {
    expect(pinAction(pinId, netnsId, '/run/netns/cni-a')).toBe(want);
  });

  it('refuses to pin a namespace that does not exist', () => {
    expect(() => pinAction('file:/p', undefined, '/run/netns/cni-x')).toThrow(
      'cannot pin /run/netns/cni-x: the network namespace does not exist',
    );
  });
});

describe('NetnsPins', () => {
  it('pins once per pod and unpins (unmount, then unlink) with the last record', () => {
    const fs = fakeFs(NS);
    const pins = new NetnsPins('/state/pins', fs);
    pins.pin(rec('d1'), '/run/netns/cni-a');
    pins.pin(rec('d2'), '/run/netns/cni-a');
    pins.pin(rec('d1'), '/run/netns/cni-a'); // a retried attach
    expect(fs.log).toEqual(['mount /run/netns/cni-a /state/pins/pod-a']);
    expect(pins.path(rec('d1'))).toBe('/state/pins/pod-a');

    pins.release(rec('d1'));
    expect(fs.log).toHaveLength(1);
    pins.release(rec('d2'));
    expect(fs.log).toEqual([
      'mount /run/netns/cni-a /state/pins/pod-a',
      'umount /state/pins/pod-a',
      'unlink /state/pins/pod-a',
    ]);
    expect(pins.path(rec('d1'))).toBeUndefined();
    expect(pins.size).toBe(0);
    pins.release(rec('d2')); // released twice: nothing more
    expect(fs.log).toHaveLength(3);
  });

  it('keeps pods apart', () => {
    const fs = fakeFs(NS);
    const pins = new NetnsPins('/state/pins', fs);
    pins.pin(rec('d1', 'pod-a'), '/run/netns/cni-a');
    pins.pin(rec('d1', 'pod-b'), '/run/netns/cni-b');
    pins.release(rec('d1', 'pod-a'));
    expect(fs.identity('/state/pins/pod-b')).toBe('ns:2');
    expect(fs.identity('/state/pins/pod-a')).toBeUndefined();
  });

  it('replaces a stale pin left by a crash (every layer unmounted first)', () => {
    const fs = fakeFs(NS);
    fs.touch('/state/pins/pod-a');
    fs.mounts.set('/state/pins/pod-a', ['ns:9', 'ns:8']);
    new NetnsPins('/state/pins', fs).pin(rec('d1'), '/run/netns/cni-a');
    expect(fs.mounts.get('/state/pins/pod-a')).toEqual(['ns:1']);
  });

  it('adopted records (a restarted agent) release the pin made by the previous process', () => {
    const fs = fakeFs(NS);
    new NetnsPins('/state/pins', fs).pin(rec('d1'), '/run/netns/cni-a');
    const restarted = new NetnsPins('/state/pins', fs);
    restarted.adopt([rec('d1'), rec('d2')]);
    restarted.release(rec('d1'));
    expect(fs.identity('/state/pins/pod-a')).toBe('ns:1'); // d2 still needs it
    restarted.release(rec('d2'));
    expect(fs.identity('/state/pins/pod-a')).toBeUndefined();
  });

  it('a failed mount is thrown (the attach fails before anything moved)', () => {
    const pins = new NetnsPins('/state/pins', fakeFs(NS));
    expect(() => {
      pins.pin(rec('d1'), '/run/netns/cni-gone');
    }).toThrow('cannot pin /run/netns/cni-gone');
  });

  it('an unmount error other than "not mounted" is thrown, the pin file stays', () => {
    const fs = fakeFs(NS);
    const pins = new NetnsPins('/state/pins', fs);
    pins.pin(rec('d1'), '/run/netns/cni-a');
    fs.unmountDetach = () => {
      throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
    };
    expect(() => {
      pins.release(rec('d1'));
    }).toThrow('EPERM');
    expect(fs.log).not.toContain('unlink /state/pins/pod-a');
  });

  it('refuses a pod uid that is not a file name', () => {
    expect(() => new NetnsPins('/state/pins', fakeFs(NS)).file('../etc')).toThrow('cannot name a pin file');
  });
});

describe('recovery decisions', () => {
  const recorded = '/run/netns/cni-a';
  it.each([
    { what: 'held', held: '/proc/7/fd/40', recordedExists: false, pin: '/p/pod-a', want: '/proc/7/fd/40' },
    {
      what: 'not held, runtime path there',
      held: undefined,
      recordedExists: true,
      pin: '/p/pod-a',
      want: recorded,
    },
    {
      what: 'restarted, runtime path gone',
      held: undefined,
      recordedExists: false,
      pin: '/p/pod-a',
      want: '/p/pod-a',
    },
    { what: 'no pin either', held: undefined, recordedExists: false, pin: undefined, want: recorded },
  ])('detach enters: $what -> $want', ({ held, recordedExists, pin, want }) => {
    expect(entryPath({ recorded, held, recordedExists, pin })).toBe(want);
  });

  it('a failed attach keeps the pin unless the NIC is provably home', () => {
    expect(keepPinAfterFailedAttach(true)).toBe(false);
    expect(keepPinAfterFailedAttach(false)).toBe(true);
  });
});
