import { describe, expect, it } from '@jest/globals';
import { deviceHealth, HealthBroadcaster } from './device-health.js';

describe('deviceHealth', () => {
  it.each([
    [{ 'knd.dev/state': { string: 'up' } }, 'HEALTHY', 'link state up'],
    [{ 'knd.dev/state': { string: 'down' } }, 'UNHEALTHY', 'link state down'],
    [{ 'knd.dev/state': { string: 'lowerlayerdown' } }, 'UNHEALTHY', 'link state lowerlayerdown'],
    [{ 'knd.dev/state': { string: 'unknown' } }, 'UNKNOWN', 'link state unknown'],
    [{}, 'UNKNOWN', 'no network interface on the host'],
  ])('%j -> %s', (attributes, health, message) => {
    expect(deviceHealth([{ name: 'nic0', attributes }], 'node-a', 100)).toEqual([
      {
        device: { pool_name: 'node-a', device_name: 'nic0' },
        health,
        last_updated_time: 100,
        health_check_timeout_seconds: 0,
        message,
      },
    ]);
  });

  it('broadcasts every update to subscribers until they unsubscribe', () => {
    const b = new HealthBroadcaster('node-a', () => 7);
    let calls = 0;
    const off = b.subscribe(() => calls++);
    b.update([{ name: 'a', attributes: { 'knd.dev/state': { string: 'up' } } }]);
    expect(b.current().map((d) => d.health)).toEqual(['HEALTHY']);
    off();
    b.update([]);
    expect(calls).toBe(1);
    expect(b.current()).toEqual([]);
  });

  it('prefers the health monitor verdict (links in pods) and tells subscribers only of changes', () => {
    const b = new HealthBroadcaster('node-a', () => 7);
    let calls = 0;
    b.subscribe(() => calls++);
    b.update([{ name: 'a', attributes: { 'knd.dev/state': { string: 'up' } } }]);
    const down = new Map([
      ['a', { kind: 'unhealthy', reason: 'NoCarrier', message: 'no carrier (operstate down)' } as const],
    ]);
    b.setVerdicts(down);
    b.setVerdicts(new Map(down));
    expect(calls).toBe(2);
    expect(b.current()).toEqual([
      {
        device: { pool_name: 'node-a', device_name: 'a' },
        health: 'UNHEALTHY',
        last_updated_time: 7,
        health_check_timeout_seconds: 0,
        message: 'NoCarrier: no carrier (operstate down)',
      },
    ]);
    b.setVerdicts(new Map([['a', { kind: 'unknown', message: '' } as const]]));
    expect(b.current()[0]?.health).toBe('HEALTHY');
  });
});
