import { describe, expect, it } from '@jest/globals';
import { buildEvent, MAX_EVENT_MESSAGE_CHARS, postEvent, type EventInput } from './events.js';

const now = new Date('2026-11-28T06:00:00.123Z');

const podEvent: EventInput = {
  regarding: { apiVersion: 'v1', kind: 'Pod', name: 'web-0', namespace: 'apps', uid: 'p-uid' },
  type: 'Warning',
  reason: 'AttachFailed',
  message: 'claim apps/c: no such link',
  reportingController: 'knd-agent',
  reportingInstance: 'node-1',
  host: 'node-1',
};

const classEvent: EventInput = {
  regarding: { apiVersion: 'knd.dev/v1alpha1', kind: 'NetworkDeviceClass', name: 'fast', uid: 'n-uid' },
  type: 'Normal',
  reason: 'Created',
  message: 'Created DeviceClass fast',
  reportingController: 'knd-operator',
  reportingInstance: 'knd-operator',
};

describe('buildEvent', () => {
  it.each<[string, EventInput, Record<string, unknown>]>([
    [
      'namespaced object from a node-local reporter',
      podEvent,
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: 'web-0.', namespace: 'apps' },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-0', namespace: 'apps', uid: 'p-uid' },
        type: 'Warning',
        reason: 'AttachFailed',
        message: 'claim apps/c: no such link',
        source: { component: 'knd-agent', host: 'node-1' },
        reportingComponent: 'knd-agent',
        reportingInstance: 'node-1',
        firstTimestamp: '2026-11-28T06:00:00Z',
        lastTimestamp: '2026-11-28T06:00:00Z',
        count: 1,
      },
    ],
    [
      'cluster-scoped object goes to namespace default, no host',
      classEvent,
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: 'fast.', namespace: 'default' },
        involvedObject: {
          apiVersion: 'knd.dev/v1alpha1',
          kind: 'NetworkDeviceClass',
          name: 'fast',
          uid: 'n-uid',
        },
        type: 'Normal',
        reason: 'Created',
        message: 'Created DeviceClass fast',
        source: { component: 'knd-operator' },
        reportingComponent: 'knd-operator',
        reportingInstance: 'knd-operator',
        firstTimestamp: '2026-11-28T06:00:00Z',
        lastTimestamp: '2026-11-28T06:00:00Z',
        count: 1,
      },
    ],
    [
      'no uid: involvedObject without uid',
      {
        ...classEvent,
        regarding: { apiVersion: 'knd.dev/v1alpha1', kind: 'NetworkProfile', name: 'p', namespace: 'ns' },
      },
      expect.objectContaining({
        metadata: { generateName: 'p.', namespace: 'ns' },
        involvedObject: {
          apiVersion: 'knd.dev/v1alpha1',
          kind: 'NetworkProfile',
          name: 'p',
          namespace: 'ns',
        },
      }),
    ],
  ])('%s', (_name, input, want) => {
    expect(buildEvent(input, now)).toEqual(want);
  });

  it('cuts the message to the limit', () => {
    const e = buildEvent({ ...podEvent, message: 'x'.repeat(MAX_EVENT_MESSAGE_CHARS + 10) }, now);
    expect(e.message).toHaveLength(MAX_EVENT_MESSAGE_CHARS);
  });
});

describe('postEvent', () => {
  it('creates the built Event in the regarding namespace', async () => {
    const calls: [string, unknown][] = [];
    const client = {
      create: <T>(path: string, body: unknown): Promise<T> => {
        calls.push([path, body]);
        return Promise.resolve({} as T);
      },
    };
    await postEvent(client, podEvent, now);
    await postEvent(client, classEvent, now);
    expect(calls).toEqual([
      ['/api/v1/namespaces/apps/events', buildEvent(podEvent, now)],
      ['/api/v1/namespaces/default/events', buildEvent(classEvent, now)],
    ]);
  });
});
