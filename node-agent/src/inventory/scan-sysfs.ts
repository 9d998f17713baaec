// One pass over sysfs producing SysfsFacts. Reads only; sources (kernel ABI docs):
// - /sys/bus/pci/devices/<BDF>/{class,vendor,device,numa_node,driver,sriov_*,physfn,config}
//   (Documentation/ABI/testing/sysfs-bus-pci)
// - /sys/class/net/<if>/{ifindex,address,mtu,operstate,type,speed,uevent,bridge,brport,master,lower_*,upper_*}
//   (Documentation/ABI/testing/sysfs-class-net)
// - /sys/class/infiniband/<dev>/{device,ports/N/gid_attrs/ndevs/*} and
//   /sys/class/infiniband_verbs/uverbsN/{ibdev,dev} (Documentation/ABI/stable/sysfs-class-infiniband)
// - /sys/class/misc/rdma_cm/dev
// Time: a few ms for tens of interfaces (bench/discovery.bench.ts). Not on the pod-startup path.
import { posix } from 'node:path';
import { nearestPciFunction, pciAncestors, resolveBusLink } from './pci-address.js';
import { pciePortTypeFromConfig } from './pcie-switch.js';
import type { CharDevice, NetdevFacts, PciFunctionFacts, RdmaFacts, SysfsFacts } from './facts.js';
import type { SysfsReader } from './sysfs-reader.js';

const NETWORK_CLASS = 0x02;

function parseIntOr(text: string | undefined, radix = 10): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number.parseInt(text, radix);
  return Number.isFinite(n) ? n : undefined;
}

/** `231:192` -> {major, minor}. */
export function parseDevNumbers(text: string | undefined): { major: number; minor: number } | undefined {
  const m = /^(\d+):(\d+)$/.exec(text ?? '');
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** KEY=value lines of a uevent file. */
export function parseUevent(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

async function scanRdma(fs: SysfsReader): Promise<{ rdma: RdmaFacts[]; rdmaCm?: CharDevice }> {
  const names = await fs.list('class/infiniband');
  const uverbsByIbdev = new Map<string, CharDevice>();
  for (const uv of await fs.list('class/infiniband_verbs')) {
    const ibdev = await fs.text(`class/infiniband_verbs/${uv}/ibdev`);
    const dev = parseDevNumbers(await fs.text(`class/infiniband_verbs/${uv}/dev`));
    if (ibdev && dev) uverbsByIbdev.set(ibdev, { path: `/dev/infiniband/${uv}`, ...dev });
  }
  const rdma = await Promise.all(
    names.map(async (name): Promise<RdmaFacts> => {
      const target = await fs.link(`class/infiniband/${name}`);
      const path = target ? posix.normalize(posix.join('class/infiniband', target)) : '';
      const pciAddress = nearestPciFunction(path);
      const netdevs = new Set<string>();
      for (const port of await fs.list(`class/infiniband/${name}/ports`)) {
        const dir = `class/infiniband/${name}/ports/${port}/gid_attrs/ndevs`;
        for (const idx of await fs.list(dir)) {
          // Unused GID entries read as EINVAL (absent); used ones hold the netdev name.
          const nd = await fs.text(`${dir}/${idx}`);
          if (nd) netdevs.add(nd);
        }
      }
      const uverbs = uverbsByIbdev.get(name);
      return {
        name,
        ...(pciAddress ? { pciAddress } : {}),
        netdevs: [...netdevs].sort(),
        ...(uverbs ? { uverbs } : {}),
      };
    }),
  );
  const cm = parseDevNumbers(await fs.text('class/misc/rdma_cm/dev'));
  return { rdma, ...(cm ? { rdmaCm: { path: '/dev/infiniband/rdma_cm', ...cm } } : {}) };
}

async function scanPciFunction(
  fs: SysfsReader,
  address: string,
  classCode: number,
  portTypes: Map<string, Promise<number | undefined>>,
): Promise<PciFunctionFacts | undefined> {
  const base = `bus/pci/devices/${address}`;
  const busLinkTarget = await fs.link(base);
  if (busLinkTarget === undefined) return undefined;
  const path = resolveBusLink(busLinkTarget);
  const portType = (bdf: string): Promise<number | undefined> => {
    let p = portTypes.get(bdf);
    if (!p) {
      p = fs
        .bytes(`bus/pci/devices/${bdf}/config`, 256)
        .then((b) => (b ? pciePortTypeFromConfig(b) : undefined));
      portTypes.set(bdf, p);
    }
    return p;
  };
  const [vendor, device, numa, driverLink, total, num, physfnLink] = await Promise.all([
    fs.text(`${base}/vendor`),
    fs.text(`${base}/device`),
    fs.text(`${base}/numa_node`),
    fs.link(`${base}/driver`),
    fs.text(`${base}/sriov_totalvfs`),
    fs.text(`${base}/sriov_numvfs`),
    fs.link(`${base}/physfn`),
  ]);
  const ancestors = await Promise.all(
    pciAncestors(path).map(async (a) => {
      const t = await portType(a);
      return t === undefined ? { address: a } : { address: a, portType: t };
    }),
  );
  const numaNode = parseIntOr(numa);
  const sriovTotalVfs = parseIntOr(total);
  const sriovNumVfs = parseIntOr(num);
  const physfn = physfnLink ? posix.basename(physfnLink) : undefined;
  return {
    address,
    busLinkTarget,
    path,
    classCode,
    vendor: (vendor ?? '').toLowerCase(),
    device: (device ?? '').toLowerCase(),
    ...(numaNode !== undefined && numaNode >= 0 ? { numaNode } : {}),
    ...(driverLink ? { driver: posix.basename(driverLink) } : {}),
    ...(sriovTotalVfs !== undefined ? { sriovTotalVfs } : {}),
    ...(sriovNumVfs !== undefined ? { sriovNumVfs } : {}),
    ...(physfn ? { physfn } : {}),
    ancestors,
  };
}

async function scanNetdev(fs: SysfsReader, ifName: string): Promise<NetdevFacts | undefined> {
  const base = `class/net/${ifName}`;
  const target = await fs.link(base);
  if (target === undefined) return undefined;
  const path = posix.normalize(posix.join('class/net', target));
  const [ifindex, mac, mtu, operstate, type, speed, uevent, driverLink, entries, masterLink] =
    await Promise.all([
      fs.text(`${base}/ifindex`),
      fs.text(`${base}/address`),
      fs.text(`${base}/mtu`),
      fs.text(`${base}/operstate`),
      fs.text(`${base}/type`),
      fs.text(`${base}/speed`),
      fs.text(`${base}/uevent`),
      fs.link(`${base}/device/driver`),
      fs.list(base),
      fs.link(`${base}/master`),
    ]);
  const devtype = parseUevent(uevent).get('DEVTYPE');
  const speedMbps = parseIntOr(speed);
  const pciAddress = nearestPciFunction(path);
  return {
    ifName,
    ifindex: parseIntOr(ifindex) ?? 0,
    mac: (mac ?? '').toLowerCase(),
    mtu: parseIntOr(mtu) ?? 0,
    operstate: operstate ?? 'unknown',
    arpType: parseIntOr(type) ?? 0,
    path,
    virtual: path.startsWith('devices/virtual/'),
    ...(pciAddress ? { pciAddress } : {}),
    ...(driverLink ? { driver: posix.basename(driverLink) } : {}),
    ...(devtype ? { devtype } : {}),
    ...(speedMbps !== undefined && speedMbps > 0 ? { speedMbps } : {}),
    isBridge: entries.includes('bridge'),
    isBridgePort: entries.includes('brport'),
    ...(masterLink ? { master: posix.basename(masterLink) } : {}),
    lowers: entries.filter((e) => e.startsWith('lower_')).map((e) => e.slice('lower_'.length)),
    uppers: entries.filter((e) => e.startsWith('upper_')).map((e) => e.slice('upper_'.length)),
  };
}

/** Let other work run between devices (the sync reader never yields on its own). */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

async function mapYielding<T, R>(items: readonly T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) {
    out.push(await fn(item));
    await yieldToEventLoop();
  }
  return out;
}

/** Read everything discovery needs from sysfs. */
export async function scanSysfs(fs: SysfsReader): Promise<SysfsFacts> {
  const { rdma, rdmaCm } = await scanRdma(fs);
  const rdmaPci = new Set(rdma.flatMap((r) => (r.pciAddress ? [r.pciAddress] : [])));
  const portTypes = new Map<string, Promise<number | undefined>>();
  const pciAll = await fs.list('bus/pci/devices');
  const pci = (
    await mapYielding(pciAll, async (address) => {
      const classCode = parseIntOr(await fs.text(`bus/pci/devices/${address}/class`), 16);
      if (classCode === undefined) return undefined;
      if (classCode >> 16 !== NETWORK_CLASS && !rdmaPci.has(address)) return undefined;
      return scanPciFunction(fs, address, classCode, portTypes);
    })
  ).filter((p): p is PciFunctionFacts => p !== undefined);
  const netdevs = (await mapYielding(await fs.list('class/net'), (n) => scanNetdev(fs, n))).filter(
    (n): n is NetdevFacts => n !== undefined,
  );
  return { pci, netdevs, rdma, ...(rdmaCm ? { rdmaCm } : {}) };
}
