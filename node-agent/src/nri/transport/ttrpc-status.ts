// ttrpc status codes (google.rpc.Code values used by containerd/ttrpc) and the error carrying one.
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
export type CodeValue = (typeof Code)[keyof typeof Code];

export class TtrpcStatusError extends Error {
  readonly code: number;
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TtrpcStatusError';
    this.code = code;
  }
}

/** Map a handler failure to the status sent on the wire (the one place that does it). */
export function errorToStatus(e: unknown): { code: number; message: string } {
  if (e instanceof TtrpcStatusError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: Code.UNKNOWN, message: e.message };
  return { code: Code.UNKNOWN, message: String(e) };
}
