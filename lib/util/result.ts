// Result type for expected failures: errors are values the caller must look at, never swallowed.
export type Result<T, E = Error> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** Wrap an error with a terse "verb object" message, keeping the cause. */
export function wrap(message: string, cause: unknown): Error {
  const text = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${message}: ${text}`, { cause });
}
