// One stand-in "node agent" for the IPAM concurrency suites and the IPAM benchmark: a separate
// process with its own node name that allocates (or releases) the IPPool addresses of a list of
// claims through exactly the agent's code path (node-agent/src/dra/claim-addresses.ts over
// lib/ipam/ip-allocator.ts and lib/kube/rest-client.ts, agent kubeconfig loader).
//
// Usage: node ipam-agent-worker.js <kubeconfig> <nodeName> <jobFile>
//   jobFile: JSON {mode: 'allocate'|'release', pool, family, concurrency, claims: [{namespace, name, uid}]}
// Output: one JSON line per claim on stdout, {uid, cidr?, error?, ms, reused?, conflicts?}, written
// as soon as the claim is done (a test may SIGKILL the process mid-way), then {done: true}.
// Exit code 0 even when claims failed (the lines say which); 2 on bad usage.
import { readFileSync } from 'node:fs';
import { loadKubeconfigFile } from '../../lib/kube/kube-endpoint.js';
import { KubeRestClient } from '../../lib/kube/rest-client.js';
import { IpAllocator } from '../../lib/ipam/ip-allocator.js';
import type { IpFamilyName } from '../../lib/api/ip-pool.js';
import { FIELD_MANAGER_AGENT } from '../../lib/api/constants.js';
import { ClaimAddresses } from '../../node-agent/src/dra/claim-addresses.js';

export interface WorkerJob {
  mode: 'allocate' | 'release';
  pool: string;
  family: IpFamilyName;
  concurrency: number;
  claims: { namespace: string; name: string; uid: string }[];
}

export interface WorkerLine {
  uid: string;
  cidr?: string;
  error?: string;
  ms: number;
  /** Wall-clock start and end of this claim's call (epoch ms), for throughput across processes. */
  startAt: number;
  endAt: number;
  released?: number;
  /** The process's first call (loads and compiles the pool validator, opens the connection). */
  first?: boolean;
}

const [kubeconfig, nodeName, jobFile] = process.argv.slice(2);
if (!kubeconfig || !nodeName || !jobFile) {
  console.error('usage: ipam-agent-worker <kubeconfig> <nodeName> <jobFile>');
  process.exit(2);
}
const job = JSON.parse(readFileSync(jobFile, 'utf8')) as WorkerJob;
const addresses = new ClaimAddresses(
  new IpAllocator(new KubeRestClient(loadKubeconfigFile(kubeconfig), { fieldManager: FIELD_MANAGER_AGENT })),
  nodeName,
);

const queue = [...job.claims];
let calls = 0;
async function lane(): Promise<void> {
  for (let c = queue.shift(); c; c = queue.shift()) {
    const started = performance.now();
    const line: WorkerLine = {
      uid: c.uid,
      ms: 0,
      startAt: Date.now(),
      endAt: 0,
      ...(calls++ === 0 ? { first: true } : {}),
    };
    try {
      if (job.mode === 'allocate') {
        const got = await addresses.allocate(c, [{ device: 'nic0', family: job.family, pool: job.pool }]);
        line.cidr = got.get('nic0')?.addresses[0] ?? '';
      } else {
        line.released = (await addresses.release(c.uid)).length;
      }
    } catch (err) {
      line.error = (err as Error).message;
    }
    line.ms = performance.now() - started;
    line.endAt = Date.now();
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, lane));
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
