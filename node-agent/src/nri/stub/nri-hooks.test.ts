// The subscription mask derived from the methods a plugin implements, knd's among them, and the
// tables behind it.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../../lib/util/logger.js';
import { Event, Plugin } from '../generated/nri-api.js';
import { KeyedLock } from '../keyed-lock.js';
import { kndHooks } from '../knd-hooks.js';
import { MemoryPlanStore } from '../../../../test/support/nri/memory-plan-store.js';
import { RecordingNetns } from '../../../../test/support/nri/recording-netns.js';
import { RecordingStatus } from '../../../../test/support/nri/recording-status.js';
import { eventMask, isPortableMask } from './event-mask.js';
import type { EventHooks, NriHooks } from './nri-hooks.js';
import {
  EVENT_METHODS,
  HOOK_EVENTS,
  hookName,
  implementedEventMethods,
  subscriptionMask,
} from './nri-hooks.js';
import { STATE_CHANGE_METHODS } from './stub-service.js';

const knd = (): NriHooks =>
  kndHooks({
    deps: {
      store: new MemoryPlanStore(),
      netns: new RecordingNetns(),
      status: new RecordingStatus(),
      logger: silentLogger(),
      podLock: new KeyedLock(),
      nowMs: () => performance.now(),
    },
  });

const done = (): Promise<void> => Promise.resolve();

describe('event mask', () => {
  it.each([
    [[Event.RUN_POD_SANDBOX], 0x1],
    [[Event.RUN_POD_SANDBOX, Event.STOP_POD_SANDBOX, Event.REMOVE_POD_SANDBOX], 0x7],
    [[Event.VALIDATE_CONTAINER_ADJUSTMENT], 0x2000],
  ])('%j -> %#', (events, mask) => {
    expect(eventMask(events)).toBe(mask);
  });

  it.each([[[Event.UNKNOWN]], [[Event.LAST]]])('refuses %j, which is not an event', (events) => {
    expect(() => eventMask(events)).toThrow(/invalid event/);
  });

  it('tells masks valid on every NRI version (events up to REMOVE_CONTAINER) from the others', () => {
    expect(isPortableMask(0x07ff)).toBe(true);
    expect(isPortableMask(0)).toBe(false);
    expect(isPortableMask(0x2000)).toBe(false);
  });
});

describe('subscription mask derived from the implemented methods', () => {
  it('is 0x000F for knd (RunPodSandbox | StopPodSandbox | RemovePodSandbox | CreateContainer), as containerd expects', () => {
    const hooks = knd();
    expect(implementedEventMethods(hooks)).toEqual([
      'RunPodSandbox',
      'StopPodSandbox',
      'RemovePodSandbox',
      'CreateContainer',
    ]);
    // containerd/nri api.EventMask: bit (event - 1), RUN_POD_SANDBOX = 1 ... CREATE_CONTAINER = 4
    expect(subscriptionMask(hooks)).toBe(0x000f);
    expect(isPortableMask(subscriptionMask(hooks))).toBe(true);
  });

  it.each<[string, EventHooks, number]>([
    ['RunPodSandbox only', { runPodSandbox: done }, 0x0001],
    ['StopContainer only', { stopContainer: () => Promise.resolve({}) }, 0x0200],
    ['UpdatePodSandbox only', { updatePodSandbox: done }, 0x0800],
    ['ValidateContainerAdjustment only', { validateContainerAdjustment: () => Promise.resolve({}) }, 0x2000],
  ])('%s -> %#', (_name, hooks, mask) => {
    expect(subscriptionMask(hooks)).toBe(mask);
  });

  it('refuses a plugin without event methods (a zero mask subscribes to every event)', () => {
    expect(() => subscriptionMask({})).toThrow(/implements no event method/);
  });

  it('maps every event method of the Plugin service to a distinct event of the Event enum', () => {
    const lifecycle = ['Configure', 'Synchronize', 'Shutdown', 'StateChange'];
    expect([...EVENT_METHODS].sort()).toEqual(
      Object.keys(Plugin.methods)
        .filter((m) => !lifecycle.includes(m))
        .sort(),
    );
    const events = EVENT_METHODS.map((m) => Event[HOOK_EVENTS[m]]);
    expect(new Set(events).size).toBe(EVENT_METHODS.length);
    expect([...events].sort((a, b) => a - b)).toEqual(
      Object.values(Event).filter((e) => e !== Event.UNKNOWN && e !== Event.LAST),
    );
    expect(eventMask(events)).toBe((1 << (Event.LAST - 1)) - 1);
  });

  it('delivers through StateChange only events whose method maps back to the same event', () => {
    for (const [event, method] of Object.entries(STATE_CHANGE_METHODS)) {
      expect(HOOK_EVENTS[method]).toBe(event);
    }
  });

  it('names each plugin method like its ttrpc method in lower camel case', () => {
    expect(hookName('RunPodSandbox')).toBe('runPodSandbox');
    expect(hookName('ValidateContainerAdjustment')).toBe('validateContainerAdjustment');
  });
});
