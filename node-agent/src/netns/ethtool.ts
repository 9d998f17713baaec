// Ethtool features (offloads) of a link inside a network namespace, through the `ethtool` binary
// (Debian package `ethtool`) run under `nsenter --net=<netns>`. Slow path (two processes), used
// only when a plan requests features. Contract: apply() returns the previous values of the features
// it changed so the caller can push the undo; a feature ethtool marks [fixed] fails the step.
import { execFile } from 'node:child_process';

export interface EthtoolRunner {
  /** Run ethtool with args inside the netns; resolves with stdout. */
  run(netnsPath: string, args: string[]): Promise<string>;
}

export function execEthtool(
  opts: { nsenterPath?: string; ethtoolPath?: string; timeoutMs?: number } = {},
): EthtoolRunner {
  return {
    run: (netnsPath, args) =>
      new Promise((resolve, reject) => {
        execFile(
          opts.nsenterPath ?? 'nsenter',
          [`--net=${netnsPath}`, opts.ethtoolPath ?? 'ethtool', ...args],
          { timeout: opts.timeoutMs ?? 5000 },
          (err, stdout, stderr) => {
            if (err) reject(new Error(`ethtool ${args.join(' ')}: ${stderr.trim() || err.message}`));
            else resolve(stdout);
          },
        );
      }),
  };
}

/** Parse `ethtool -k` output: feature name -> on/off (fixed features marked). Pure. */
export function parseFeatures(text: string): Map<string, { on: boolean; fixed: boolean }> {
  const out = new Map<string, { on: boolean; fixed: boolean }>();
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z0-9-]+):\s+(on|off)(\s+\[fixed\])?/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], { on: m[2] === 'on', fixed: m[3] !== undefined });
  }
  return out;
}

/** `-K dev a on b off` arguments for the features whose value differs from `current`. Pure. */
export function featureArgs(
  ifName: string,
  want: Record<string, boolean>,
  current: Map<string, { on: boolean; fixed: boolean }>,
): { args: string[]; previous: Record<string, boolean> } {
  const args: string[] = [];
  const previous: Record<string, boolean> = {};
  for (const [name, on] of Object.entries(want)) {
    const cur = current.get(name);
    if (cur === undefined)
      throw new Error(`ethtool feature ${JSON.stringify(name)} is not known to ${ifName}`);
    if (cur.on === on) continue;
    if (cur.fixed) throw new Error(`ethtool feature ${name} of ${ifName} is fixed ${cur.on ? 'on' : 'off'}`);
    args.push(name, on ? 'on' : 'off');
    previous[name] = cur.on;
  }
  return { args: args.length === 0 ? [] : ['-K', ifName, ...args], previous };
}
