// The kubelet's side of the DRA plugin protocol, for tests and benchmarks: a gRPC client over the unix
// sockets using exactly the kubelet's protos (proto/dra), as the kubelet dials them (kubelet plugin watcher
// and DRA manager, kubernetes/kubernetes pkg/kubelet/pluginmanager and cm/dra): GetInfo +
// NotifyRegistrationStatus on the registration socket, then NodePrepareResources/NodeUnprepareResources on
// the advertised endpoint.
import * as grpc from '@grpc/grpc-js';
import { loadDraServices } from '../../node-agent/src/dra/dra-protos.js';

export interface WireClaim {
  namespace: string;
  uid: string;
  name: string;
}

export interface WireDevice {
  request_names: string[];
  pool_name: string;
  device_name: string;
  cdi_device_ids: string[];
}

export interface PrepareResponse {
  claims: Record<string, { devices: WireDevice[]; error: string }>;
}

export interface UnprepareResponse {
  claims: Record<string, { error: string }>;
}

export interface PluginInfo {
  type: string;
  name: string;
  endpoint: string;
  supported_versions: string[];
}

type Unary = (
  req: unknown,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

function call<T>(client: grpc.Client, method: string, req: unknown, timeoutMs: number): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(err);
      else resolve(res as T);
    });
  });
}

export class KubeletRegistrationClient {
  private readonly client: grpc.Client;
  constructor(socketPath: string) {
    const C = loadDraServices().clients.registration;
    this.client = new C(`unix:${socketPath}`, grpc.credentials.createInsecure());
  }
  getInfo(timeoutMs = 1000): Promise<PluginInfo> {
    return call(this.client, 'GetInfo', {}, timeoutMs);
  }
  notify(registered: boolean, error = '', timeoutMs = 5000): Promise<unknown> {
    return call(this.client, 'NotifyRegistrationStatus', { plugin_registered: registered, error }, timeoutMs);
  }
  close(): void {
    this.client.close();
  }
}

export class KubeletDraClient {
  private readonly client: grpc.Client;
  /** `v1` or `v1beta1`: which DRAPlugin service to call (the kubelet picks by supported_versions). */
  constructor(endpoint: string, version: 'v1' | 'v1beta1' = 'v1') {
    const s = loadDraServices().clients;
    const C = version === 'v1' ? s.draV1 : s.draV1beta1;
    this.client = new C(`unix:${endpoint}`, grpc.credentials.createInsecure());
  }
  /** The kubelet's per-call deadline is 45 s. */
  prepare(claims: WireClaim[], timeoutMs = 45_000): Promise<PrepareResponse> {
    return call(this.client, 'NodePrepareResources', { claims }, timeoutMs);
  }
  unprepare(claims: WireClaim[], timeoutMs = 45_000): Promise<UnprepareResponse> {
    return call(this.client, 'NodeUnprepareResources', { claims }, timeoutMs);
  }
  close(): void {
    this.client.close();
  }
}

/** Register like the kubelet's plugin watcher: GetInfo, pick the first known version, notify. */
export async function registerLikeKubelet(
  registrationSocket: string,
): Promise<{ info: PluginInfo; client: KubeletDraClient }> {
  const reg = new KubeletRegistrationClient(registrationSocket);
  try {
    const info = await reg.getInfo();
    const known = ['v1.DRAPlugin', 'v1beta1.DRAPlugin'];
    const pick = info.supported_versions.find((v) => known.includes(v));
    if (info.type !== 'DRAPlugin' || !pick) {
      await reg.notify(false, `unsupported plugin ${info.type} ${info.supported_versions.join(',')}`);
      throw new Error(`kubelet would reject the plugin: ${JSON.stringify(info)}`);
    }
    await reg.notify(true);
    return {
      info,
      client: new KubeletDraClient(
        info.endpoint || registrationSocket,
        pick === 'v1.DRAPlugin' ? 'v1' : 'v1beta1',
      ),
    };
  } finally {
    reg.close();
  }
}

export interface HealthMessage {
  devices: {
    device: { pool_name: string; device_name: string };
    health: string;
    last_updated_time: number;
    health_check_timeout_seconds: number;
    message: string;
  }[];
}

/** Open <version>.DRAResourceHealth/NodeWatchResources like the kubelet; resolves the first message. */
export function watchHealthOnce(
  endpoint: string,
  timeoutMs = 5000,
  version: 'v1' | 'v1alpha1' = 'v1',
): Promise<HealthMessage> {
  const clients = loadDraServices().clients;
  const C = version === 'v1' ? clients.healthV1 : clients.healthV1alpha1;
  const client = new C(`unix:${endpoint}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const fn = (
      client as unknown as Record<
        string,
        (req: unknown, opts: grpc.CallOptions) => grpc.ClientReadableStream<HealthMessage>
      >
    )['NodeWatchResources'];
    if (!fn) {
      reject(new Error('no NodeWatchResources'));
      return;
    }
    const stream = fn.call(client, {}, { deadline: Date.now() + timeoutMs });
    stream.once('data', (m: HealthMessage) => {
      resolve(m);
      stream.cancel();
      client.close();
    });
    stream.once('error', (err: Error) => {
      reject(err);
      client.close();
    });
  });
}
