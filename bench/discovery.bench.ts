// Discovery benchmark: one full discovery pass (sysfs scan + policy + attributes) on
// (a) a generated 64-NIC sysfs tree (sysfs only), (b) the same tree with the CEL filter,
// (c) the live host with netlink facts (`ip -j -d addr` + /proc routes), (d) the netlink source alone.
// Run: npx tsc -p tsconfig.build.json --outDir /tmp/knd-dist && node /tmp/knd-dist/bench/discovery.bench.js [runs]
import { discoverOnce } from '../node-agent/src/inventory/inventory.js';
import { netlinkFactsSource } from '../node-agent/src/inventory/netlink-facts.js';
import { makeSysfsFixture, manyNics } from '../test/support/sysfs-fixture.js';
import { summarize, timeRuns } from './discovery-stats.js';

const runs = Number(process.argv[2] ?? 200);
const fx = await makeSysfsFixture(manyNics(64));
// The same tree on tmpfs: closer to sysfs, which is served from memory.
const shm = await makeSysfsFixture(manyNics(64), { parentDir: '/dev/shm' });
try {
  const rows = [
    {
      name: '64 NICs (fixture on tmpfs), sysfs only',
      fn: () => discoverOnce({ sysfsRoot: shm.root, netlink: null }),
    },
    {
      name: '64 NICs (fixture on disk), sysfs only',
      fn: () => discoverOnce({ sysfsRoot: fx.root, netlink: null }),
    },
    {
      name: '64 NICs (fixture on disk), + CEL filter',
      fn: () =>
        discoverOnce({
          sysfsRoot: fx.root,
          netlink: null,
          filterCel: 'device.attributes["knd.dev"].numaNode == 0',
        }),
    },
    { name: 'live host, sysfs + netlink', fn: () => discoverOnce({ optInVirtualTypes: ['veth'] }) },
    { name: 'live host, netlink facts only', fn: () => netlinkFactsSource().read() },
  ];
  const check = await discoverOnce({ sysfsRoot: fx.root, netlink: null });
  if (check.devices.length !== 64) throw new Error(`expected 64 devices, got ${check.devices.length}`);
  const results = [];
  for (const r of rows) results.push(summarize(r.name, await timeRuns(r.fn, runs, 10)));
  console.log(`discovery, ${runs} runs each (after 10 warm-up runs)`);
  console.table(results);
} finally {
  await fx.cleanup();
  await shm.cleanup();
}
