// Unix socket plumbing for the kubelet-facing gRPC servers: stale socket removed before bind, socket
// file chmod 0600 after bind. A directory the agent owns (<kubelet>/plugins/<driver>) is created 0700;
// a directory it shares with the kubelet and other plugins (<kubelet>/plugins_registry) is created
// if missing but its mode is never changed. Bind failures reject (caller retries).
import * as grpc from '@grpc/grpc-js';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export type SocketDir = 'own' | 'shared';

export async function prepareSocketPath(path: string, dir: SocketDir): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (dir === 'own') await chmod(dirname(path), 0o700);
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function bindUnix(server: grpc.Server, path: string, dir: SocketDir): Promise<void> {
  await prepareSocketPath(path, dir);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) => {
      if (err) reject(new Error(`bind ${path}: ${err.message}`, { cause: err }));
      else resolve();
    });
  });
  await chmod(path, 0o600);
}

export async function removeSocket(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function shutdownServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
