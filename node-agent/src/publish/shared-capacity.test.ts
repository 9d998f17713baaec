import { describe, expect, it } from '@jest/globals';
import type { SharedSpec } from '../../../lib/api/shared-device.js';
import { ATTR, type Attributes } from '../inventory/attributes.js';
import {
  mbpsQuantity,
  sharedDeviceFields,
  sharedFieldsKept,
  type SharedDeviceFields,
} from './shared-capacity.js';

const link = (mbps: number): Attributes => ({ [ATTR.linkSpeedMbps]: { int: mbps } });

describe('sharedDeviceFields', () => {
  it.each<[string, SharedSpec, Attributes, SharedDeviceFields]>([
    [
      'bandwidth from the link speed, 1 Mbit/s defaults',
      { maxChildren: 8 },
      link(10_000),
      {
        allowMultipleAllocations: true,
        capacity: {
          bandwidth: {
            value: '10G',
            requestPolicy: { default: '1M', validRange: { min: '1M', max: '10G', step: '1M' } },
          },
          children: { value: '8', requestPolicy: { default: '1', validValues: ['1'] } },
        },
      },
    ],
    [
      'fixed bandwidth wins over the link speed; default, min and step as given',
      { maxChildren: 4, bandwidthMbps: 800, defaultShareMbps: 100, minShareMbps: 50, shareStepMbps: 25 },
      link(10_000),
      {
        allowMultipleAllocations: true,
        capacity: {
          bandwidth: {
            value: '800M',
            requestPolicy: { default: '100M', validRange: { min: '50M', max: '800M', step: '25M' } },
          },
          children: { value: '4', requestPolicy: { default: '1', validValues: ['1'] } },
        },
      },
    ],
    [
      'fixed bandwidth on a device without link speed; step defaults to min',
      { maxChildren: 1, bandwidthMbps: 100, minShareMbps: 10 },
      {},
      {
        allowMultipleAllocations: true,
        capacity: {
          bandwidth: {
            value: '100M',
            requestPolicy: { default: '10M', validRange: { min: '10M', max: '100M', step: '10M' } },
          },
          children: { value: '1', requestPolicy: { default: '1', validValues: ['1'] } },
        },
      },
    ],
    [
      'max is the last step that fits; a step that does not fit once is left out',
      { maxChildren: 2, bandwidthMbps: 105, minShareMbps: 10 },
      {},
      {
        allowMultipleAllocations: true,
        capacity: {
          bandwidth: {
            value: '105M',
            requestPolicy: { default: '10M', validRange: { min: '10M', max: '100M', step: '10M' } },
          },
          children: { value: '2', requestPolicy: { default: '1', validValues: ['1'] } },
        },
      },
    ],
    [
      'min equal to the bandwidth: one share, no step',
      { maxChildren: 1, bandwidthMbps: 100, minShareMbps: 100 },
      {},
      {
        allowMultipleAllocations: true,
        capacity: {
          bandwidth: {
            value: '100M',
            requestPolicy: { default: '100M', validRange: { min: '100M', max: '100M' } },
          },
          children: { value: '1', requestPolicy: { default: '1', validValues: ['1'] } },
        },
      },
    ],
  ])('%s', (_n, shared, attrs, want) => {
    expect(sharedDeviceFields(shared, attrs)).toEqual({ ok: true, value: want });
  });

  it.each<[string, SharedSpec, Attributes, RegExp]>([
    [
      'no bandwidth and no link speed',
      { maxChildren: 8 },
      {},
      /bandwidthMbps: not set and the device reports no link speed/,
    ],
    ['link speed 0 (unknown)', { maxChildren: 8 }, link(0), /no link speed/],
    [
      'min above the link speed',
      { maxChildren: 8, minShareMbps: 2000 },
      link(1000),
      /minShareMbps: 2000 exceeds/,
    ],
    [
      'default above the bandwidth',
      { maxChildren: 8, bandwidthMbps: 100, defaultShareMbps: 200 },
      {},
      /defaultShareMbps: 200 exceeds/,
    ],
  ])('refuses %s', (_n, shared, attrs, why) => {
    const r = sharedDeviceFields(shared, attrs);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(why);
  });
});

describe('mbpsQuantity (canonical, as the apiserver returns it)', () => {
  it.each<[number, string]>([
    [1, '1M'],
    [100, '100M'],
    [1500, '1500M'],
    [10_000, '10G'],
    [25_000, '25G'],
    [1_000_000, '1T'],
  ])('%d Mbit/s -> %s', (mbps, q) => {
    expect(mbpsQuantity(mbps)).toBe(q);
  });
});

describe('sharedFieldsKept', () => {
  const sent = sharedDeviceFields({ maxChildren: 2, bandwidthMbps: 100 }, {});
  if (!sent.ok) throw sent.error;
  it.each<[string, { allowMultipleAllocations?: unknown; capacity?: unknown }, boolean]>([
    ['everything kept', sent.value, true],
    ['allowMultipleAllocations dropped (gate off)', { capacity: sent.value.capacity }, false],
    [
      'request policies dropped',
      {
        allowMultipleAllocations: true,
        capacity: { bandwidth: { value: '100M' }, children: { value: '2' } },
      },
      false,
    ],
    ['capacity dropped', { allowMultipleAllocations: true }, false],
  ])('%s', (_n, returned, want) => {
    expect(sharedFieldsKept(sent.value, returned)).toBe(want);
  });
});
