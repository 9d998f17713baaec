// The parts of resource.k8s.io/v1 ResourceClaim that DRA prepare reads, as raw JSON on the wire
// (kubernetes/api resource/v1/types.go: ResourceClaim, DeviceAllocationResult, DeviceAllocationConfiguration).
// Everything optional: the input is untrusted.
export interface OpaqueDeviceConfiguration {
  driver?: string;
  parameters?: unknown;
}

export interface DeviceAllocationConfiguration {
  /** 'FromClass' or 'FromClaim'. */
  source?: string;
  requests?: string[];
  opaque?: OpaqueDeviceConfiguration;
}

export interface DeviceRequestAllocationResult {
  request?: string;
  driver?: string;
  pool?: string;
  device?: string;
  /** Set for an allocation of a device with allowMultipleAllocations (consumable capacity). */
  shareID?: string;
  /** What the scheduler accounted to this share, e.g. {bandwidth: "100M", children: "1"}. */
  consumedCapacity?: Record<string, string>;
}

export interface ResourceClaimConsumerReference {
  apiGroup?: string;
  resource?: string;
  name?: string;
  uid?: string;
}

export interface ResourceClaim {
  metadata?: { name?: string; namespace?: string; uid?: string };
  status?: {
    allocation?: {
      devices?: {
        results?: DeviceRequestAllocationResult[];
        config?: DeviceAllocationConfiguration[];
      };
    };
    reservedFor?: ResourceClaimConsumerReference[];
  };
}

/** What the kubelet sends per claim (dra v1 `Claim`). */
export interface ClaimRequest {
  namespace: string;
  uid: string;
  name: string;
}
