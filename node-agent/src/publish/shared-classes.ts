// The agent's view of the cluster's shared NetworkDeviceClasses, and whether the apiserver serves
// consumable capacity: the input of applySharedClasses (shared-devices.ts) before publishing, and
// of prepare's macvlan mode per device.
//
// Contract:
// - Caller: node-agent main. start() polls: LIST networkdeviceclasses every intervalMs (default
//   30 s; a poll, not a watch: classes change rarely and a missed event heals on the next poll).
//   When some class has spec.shared, a dry-run create of a ResourceSlice of this node with one
//   shared device tells whether the apiserver keeps allowMultipleAllocations (1.36+) or drops it
//   (1.35, DRAConsumableCapacity off); re-checked every probeIntervalMs (default 10 min).
// - onChange() is called when the compiled classes or the served flag change; the caller
//   re-publishes. Until the first answer nothing is shared (served = false).
// - Errors (apiserver down, RBAC) are logged once per distinct message and retried on the next
//   poll; never thrown into the caller. Time limit per request: requestTimeoutMs (default 10 s).
import { API_GROUP_VERSION, FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import type { MacvlanMode } from '../../../lib/api/shared-device.js';
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { KubeRestClient, resourcePath } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';
import { sharedDeviceFields, sharedFieldsKept } from './shared-capacity.js';
// shared-devices.ts pulls in the CEL evaluator: loaded only once some class is shared
import type { SharedClassView } from './shared-devices.js';

type SharedDevicesModule = typeof import('./shared-devices.js');
import { RESOURCE_API_VERSION, type SliceDevice } from './slice-builder.js';

export interface SharedClassesOptions {
  kubeConfig: KubeEndpoint;
  nodeName: string;
  driverName: string;
  logger: Logger;
  onChange: () => void;
  intervalMs?: number;
  probeIntervalMs?: number;
  requestTimeoutMs?: number;
  /** Test hook: the REST calls (default: lib/kube's client on kubeConfig). */
  client?: Pick<KubeRestClient, 'get' | 'create'>;
}

/** The dry-run slice: one device of this node with allowMultipleAllocations and capacity. */
export function probeSlice(
  nodeName: string,
  driverName: string,
): { slice: unknown; sent: ReturnType<typeof probeFields> } {
  const sent = probeFields();
  return {
    sent,
    slice: {
      apiVersion: RESOURCE_API_VERSION,
      kind: 'ResourceSlice',
      metadata: { name: `${nodeName}-${driverName}-capacity-probe` },
      spec: {
        driver: driverName,
        nodeName,
        pool: { name: `${nodeName}-capacity-probe`, generation: 1, resourceSliceCount: 1 },
        devices: [{ name: 'probe', attributes: {}, ...sent }],
      },
    },
  };
}

function probeFields(): { allowMultipleAllocations: true; capacity: NonNullable<SliceDevice['capacity']> } {
  const f = sharedDeviceFields({ maxChildren: 1, bandwidthMbps: 2 }, {});
  if (!f.ok) throw f.error;
  return f.value;
}

export class SharedClasses {
  private classes: SharedClassView[] = [];
  private served = false;
  private probedAtMs: number | undefined;
  private modes = new Map<string, MacvlanMode>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly logged = new Set<string>();
  private cel: SharedDevicesModule | undefined;
  private readonly client: Pick<KubeRestClient, 'get' | 'create'>;
  private readonly o: SharedClassesOptions;

  constructor(o: SharedClassesOptions) {
    this.o = o;
    this.client =
      o.client ??
      new KubeRestClient(o.kubeConfig, {
        fieldManager: FIELD_MANAGER_AGENT,
        timeoutMs: o.requestTimeoutMs ?? 10_000,
      });
  }

  /** The devices to publish: shared where exactly one served shared class selects them. */
  apply(devices: readonly SliceDevice[]): SliceDevice[] {
    if (this.cel === undefined || this.classes.length === 0) {
      this.modes = new Map();
      return [...devices];
    }
    const { devices: out, notes, modes } = this.cel.applySharedClasses(devices, this.classes, this.served);
    for (const n of notes) this.logOnce('warn', `device ${n.device}: ${n.message}`);
    this.modes = modes;
    return out;
  }

  /** The macvlan mode a device was last published with (undefined: not shared). */
  modeOf(deviceName: string): MacvlanMode | undefined {
    return this.modes.get(deviceName);
  }

  start(): void {
    const tick = async (): Promise<void> => {
      await this.poll();
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.o.intervalMs ?? 30_000);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One poll (exported for tests): list classes, probe when needed, tell onChange. */
  async poll(nowMs: number = Date.now()): Promise<void> {
    let items: unknown[];
    try {
      const list = await this.client.get<{ items?: unknown[] }>(
        resourcePath(API_GROUP_VERSION, 'networkdeviceclasses', undefined),
      );
      items = list.items ?? [];
    } catch (e) {
      this.logOnce('warn', `cannot list NetworkDeviceClasses: ${(e as Error).message}`);
      return;
    }
    const classes: SharedClassView[] = [];
    const shared = items.filter((raw) => (raw as { spec?: { shared?: unknown } }).spec?.shared !== undefined);
    if (shared.length > 0) this.cel ??= await import('./shared-devices.js');
    for (const raw of shared) {
      const c = this.cel?.compileSharedClass(raw as NetworkDeviceClass) ?? { ok: true, value: undefined };
      if (!c.ok) this.logOnce('warn', c.error.message);
      else if (c.value !== undefined) classes.push(c.value);
    }
    let served = this.served;
    const due =
      this.probedAtMs === undefined || nowMs - this.probedAtMs >= (this.o.probeIntervalMs ?? 600_000);
    if (classes.length > 0 && due) {
      const { slice, sent } = probeSlice(this.o.nodeName, this.o.driverName);
      try {
        const back = await this.client.create<{ spec?: { devices?: Record<string, unknown>[] } }>(
          `${resourcePath(RESOURCE_API_VERSION, 'resourceslices', undefined)}?dryRun=All`,
          slice,
        );
        served = sharedFieldsKept(sent, back.spec?.devices?.[0] ?? {});
        this.probedAtMs = nowMs;
        if (!served)
          this.logOnce(
            'warn',
            'the apiserver does not serve DRA consumable capacity (DRAConsumableCapacity): no device is published as shared',
          );
      } catch (e) {
        this.logOnce('warn', `consumable-capacity probe failed: ${(e as Error).message}`);
      }
    }
    const key = (cs: SharedClassView[], s: boolean): string =>
      JSON.stringify([s, cs.map((c) => [c.name, c.shared, c.selectors.map((x) => x.expression)])]);
    const changed = key(classes, served) !== key(this.classes, this.served);
    this.classes = classes;
    this.served = served;
    if (changed) this.o.onChange();
  }

  private logOnce(level: 'warn', message: string): void {
    if (this.logged.has(message)) return;
    this.logged.add(message);
    this.o.logger[level]('shared devices', { detail: message });
  }
}
