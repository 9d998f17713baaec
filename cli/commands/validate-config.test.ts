import { describe, expect, it } from '@jest/globals';
import type { CommandIO } from '../command.js';
import { validateConfigCommand } from './validate-config.js';

function io(files: Record<string, string>): CommandIO & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    stdout: (t: string) => {
      r.out += t;
    },
    stderr: (t: string) => {
      r.err += t;
    },
    readFile: (p: string) =>
      p in files ? Promise.resolve(files[p] ?? '') : Promise.reject(new Error(`ENOENT: ${p}`)),
  };
  return r;
}

const claim = (params: string) => `apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: foo}
spec:
  devices:
    requests: [{name: nic, exactly: {deviceClassName: knd}}]
    config:
    - opaque: {driver: other.example.com, parameters: {anything: 1}}
    - requests: [nic]
      opaque:
        driver: knd.dev
        parameters: ${params}
`;

describe('knd validate-config', () => {
  it.each([
    [
      'bare NetworkConfig',
      'interface: {name: net1, addresses: [198.51.100.1/24]}\n',
      0,
      /1 NetworkConfig\(s\) valid/,
    ],
    [
      'claim with a valid knd.dev config (other drivers ignored)',
      claim('{routes: [{destination: 203.0.113.0/24, gateway: 198.51.100.1}]}'),
      0,
      /1 NetworkConfig\(s\) valid/,
    ],
    [
      'claim with an invalid route names the field path',
      claim('{routes: [{destination: nope, gateway: 198.51.100.1}]}'),
      1,
      /^ResourceClaim\/foo \(document 1\) spec\.devices\.config\[1\]\.opaque\.parameters: routes\[0\]\.destination: /m,
    ],
    [
      'template and class in one multi-document file',
      `kind: DeviceClass
metadata: {name: c}
spec: {config: [{opaque: {driver: knd.dev, parameters: {interface: {mtu: 70000}}}}]}
---
kind: ResourceClaimTemplate
metadata: {name: t}
spec: {spec: {devices: {config: [{opaque: {driver: knd.dev, parameters: {interface: {mtu: 1500}}}}]}}}
`,
      1,
      /^DeviceClass\/c \(document 1\) spec\.config\[0\]\.opaque\.parameters: interface\.mtu: /m,
    ],
  ])('%s', async (_name, text, code, output) => {
    const r = io({ 'f.yaml': text });
    expect(await validateConfigCommand.run(['-f', 'f.yaml'], r)).toBe(code);
    expect(r.out).toMatch(output);
  });

  it.each([
    [[], {}, 2, /missing -f FILE/],
    [['-f', 'nope.yaml'], {}, 1, /nope\.yaml: ENOENT/],
    [['-f', 'x.yaml'], { 'x.yaml': 'kind: ConfigMap\n' }, 1, /no NetworkConfig found/],
    [['-f', 'y.yaml'], { 'y.yaml': 'a: [\n' }, 1, /y\.yaml: /],
  ])('%j: usage and input errors', async (args, files, code, err) => {
    const r = io(files);
    expect(await validateConfigCommand.run(args, r)).toBe(code);
    expect(r.err).toMatch(err);
  });

  // Nine levels of nine aliases: 9^9 (387 million) strings once expanded, in 10 short lines.
  const billionLaughs = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((x, i) => {
      const prev = 'abcdefghi'[i] ?? 'a';
      return `${x}: &${x} [${new Array<string>(9).fill(`*${prev}`).join(',')}]`;
    }),
    'routes: *i',
    '',
  ].join('\n');

  it.each([
    ['billion laughs', billionLaughs],
    ['a self-referencing alias', 'interface: &x {name: net1, addresses: *x}\n'],
  ])('refuses YAML aliases quickly with a clear error (%s)', async (_name, text) => {
    const r = io({ 'lol.yaml': text });
    const start = performance.now();
    const code = await validateConfigCommand.run(['-f', 'lol.yaml'], r);
    const elapsedMs = performance.now() - start;
    expect(code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^lol\.yaml: YAML aliases \(\*name\) are not accepted: .*line:column \d+:\d+/);
    expect(elapsedMs).toBeLessThan(5000); // generous: a few ms in practice, minutes before the bound
  });
});
