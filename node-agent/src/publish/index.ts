// ResourceSlice publishing for the node agent. Exported API:
//
//   startPublisher({ kubeConfig, nodeName, driverName, logger, requestTimeoutMs?, resyncIntervalMs?,
//                    initialBackoffMs?, maxBackoffMs? }): Publisher
//     .update(devices)        desired device list ({name, attributes}[]; InventoryDevice fits);
//                             nothing is written before the first call
//     .resync()               re-check now (call after kubelet plugin re-registration)
//     .status()               { generation, sliceCount, failures, lastError?, synced }
//     .waitForSync(timeoutMs) resolves when the latest update is on the apiserver
//     .stop({deleteSlices?})  stop the loop (slices stay unless deleteSlices)
//
//   buildSlices({ driverName, nodeName, generation, devices, owner? }): ResourceSlice[]
//     the pure slice rendering (used by `knd discover`); sliceName(); RESOURCE_API_VERSION.
//
// One pool per node (name = node name), driver knd.dev, spec.nodeName set, ≤ 128 devices per slice
// with resourceSliceCount, generation bumped on every change, stale slices removed, ownerReference
// to the Node when it exists. Retries forever with backoff; never throws into the caller.
export { startPublisher, type Publisher, type PublisherOptions, type PublisherStatus } from './publisher.js';
export {
  buildSlices,
  sliceName,
  canonicalJson,
  RESOURCE_API_VERSION,
  LABEL_SLICE_NODE,
  type ResourceSlice,
  type SliceDevice,
  type OwnerNode,
} from './slice-builder.js';
export { diffSlices, maxGeneration, type SliceAction } from './slice-diff.js';
