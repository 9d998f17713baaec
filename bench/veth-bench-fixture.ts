// The kernel fixture of the attach benches (netns-attach.ts, child-attach.ts): a pod netns, a helper
// netns holding the veth peer, and the veth's host end as the "NIC". iproute2 builds and removes it;
// names carry the bench's own prefix so two benches never share links.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ip = async (...args: string[]): Promise<void> => {
  await run('ip', args);
};

export interface VethBenchFixture {
  readonly pod: string;
  readonly help: string;
  readonly hostIf: string;
  readonly peerIf: string;
  readonly setup: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

/** `prefix` (e.g. 'kndbn') names the namespaces and links; `peerUp` also sets the peer up. */
export function vethBenchFixture(prefix: string, opts: { mtu: number; peerUp: boolean }): VethBenchFixture {
  const pod = `${prefix}pod`;
  const help = `${prefix}help`;
  const hostIf = `${prefix}h0`;
  const peerIf = `${prefix}p0`;
  const cleanup = async (): Promise<void> => {
    await ip('link', 'del', hostIf).catch(() => undefined);
    await ip('netns', 'del', pod).catch(() => undefined);
    await ip('netns', 'del', help).catch(() => undefined);
  };
  return {
    pod,
    help,
    hostIf,
    peerIf,
    cleanup,
    setup: async () => {
      await cleanup();
      await ip('netns', 'add', pod);
      await ip('netns', 'add', help);
      await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', help);
      await ip('link', 'set', 'dev', hostIf, 'mtu', String(opts.mtu), 'up');
      if (opts.peerUp) await ip('-n', help, 'link', 'set', 'dev', peerIf, 'mtu', String(opts.mtu), 'up');
    },
  };
}
