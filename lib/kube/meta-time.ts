// Timestamps as the Kubernetes API serialises them. Pure.

/** metav1.Time: RFC 3339 with second precision. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds (what Lease renewTime/acquireTime want). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
