// The inventory's kernel notifications (node-agent/src/inventory/link-events.ts) on a real
// rtnetlink socket inside a throwaway network namespace: a link added, a global address, a default
// route and a link deleted each wake the subscriber; a link-local-only change does not; stop()
// ends the subscription. iproute2 makes the changes. Root and the built netlink addon needed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../lib/util/logger.js';
import { netlinkLinkEvents, type LinkEventSource } from '../../node-agent/src/inventory/link-events.js';

const ns = `kndle-${randomBytes(3).toString('hex')}`;
const ip = (...args: string[]): void => {
  execFileSync('ip', ['-n', ns, ...args], { stdio: 'pipe' });
};

let events = 0;
let source: LinkEventSource | undefined;

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  source = netlinkLinkEvents({ logger: silentLogger(), netnsPath: `/run/netns/${ns}` });
  source.start(() => {
    events++;
  });
});
afterAll(() => {
  source?.stop();
  execFileSync('ip', ['netns', 'del', ns]);
});

/** The number of onEvent calls caused by `change`, after the notifications settled. */
async function eventsFrom(change: () => void): Promise<number> {
  const before = events;
  change();
  const t = Date.now();
  while (events === before && Date.now() - t < 1000) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  return events - before;
}

describe('netlink link notifications in a throwaway netns', () => {
  it('a new link wakes the subscriber within milliseconds', async () => {
    const t = performance.now();
    const before = events;
    ip('link', 'add', 'kndle0', 'type', 'veth', 'peer', 'name', 'kndle0p');
    while (events === before && performance.now() - t < 1000) await new Promise((r) => setImmediate(r));
    expect(events).toBeGreaterThan(before);
    expect(performance.now() - t).toBeLessThan(500);
  });

  it('a global address and a default route wake it; a link-local address alone does not', async () => {
    expect(
      await eventsFrom(() => {
        ip('addr', 'add', 'fe80::99/64', 'dev', 'kndle0', 'nodad');
      }),
    ).toBe(0);
    ip('link', 'set', 'kndle0', 'up');
    await eventsFrom(() => undefined);
    expect(
      await eventsFrom(() => {
        ip('addr', 'add', '198.51.100.7/24', 'dev', 'kndle0');
      }),
    ).toBeGreaterThan(0);
    expect(
      await eventsFrom(() => {
        ip('route', 'add', 'default', 'via', '198.51.100.1');
      }),
    ).toBeGreaterThan(0);
  });

  it('a deleted link wakes it; after stop() nothing does', async () => {
    expect(
      await eventsFrom(() => {
        ip('link', 'del', 'kndle0');
      }),
    ).toBeGreaterThan(0);
    source?.stop();
    expect(
      await eventsFrom(() => {
        ip('link', 'add', 'kndle1', 'type', 'veth', 'peer', 'name', 'kndle1p');
      }),
    ).toBe(0);
  });
});
