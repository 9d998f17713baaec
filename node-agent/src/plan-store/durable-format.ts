// Versioned durable documents (plans, attach records): decode any version this agent knows into the
// current one, and say exactly why anything else cannot be used. Pure; plan-store.ts does the I/O.
//
// Rules every format follows (docs/dra-plugin.md, "Durable formats and versions"):
// - Every document carries a top-level integer `formatVersion` (the first attach records did not;
//   a format may name the version such documents have, `unversioned`).
// - An older version is converted on read by a chain of steps, one function per version step
//   (v1 -> v2, v2 -> v3, ...). A step is pure and never drops information the next agent needs.
// - A NEWER version is never rewritten or deleted: the reader cannot know what it would lose. It
//   reads only the stable header (`header()`: boot id and device names, at paths no future version
//   may move) so the store can refuse to reuse those devices.
// - Bumping a version: add the step from the previous version, keep a fixture of the previous
//   version under testdata/ (the round-trip test reads every fixture), raise `current`.

export type JsonObject = Record<string, unknown>;

/** The fields an agent can read from a document of any version, including newer ones. */
export interface StableHeader {
  bootId?: string;
  deviceNames: string[];
}

export interface DurableFormat<T> {
  /** What the document is, for messages: "plan", "attach record". */
  what: string;
  current: number;
  /** Version of a document without `formatVersion` (undefined: such a document is invalid). */
  unversioned?: number;
  /** upgrades[v] converts a version-v document into version v+1. */
  upgrades: Readonly<Record<number, (doc: JsonObject) => JsonObject>>;
  /** Shape check of a current-version document: undefined when usable, else the reason. */
  check(doc: JsonObject): string | undefined;
  /** The current-version value of a checked document. */
  value(doc: JsonObject): T;
  /** Boot id and device names at the paths every version keeps; total (any object, never throws). */
  header(doc: JsonObject): StableHeader;
}

export type Decoded<T> =
  | { status: 'ok'; value: T; fromVersion: number }
  | { status: 'newer'; version: number; header: StableHeader }
  | { status: 'invalid'; reason: string; header: StableHeader };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decode a parsed document of any version into the current one (or why not). Never throws. */
export function decodeDurable<T>(format: DurableFormat<T>, raw: unknown): Decoded<T> {
  if (!isJsonObject(raw)) {
    return { status: 'invalid', reason: 'not a JSON object', header: { deviceNames: [] } };
  }
  const header = format.header(raw);
  const v = raw.formatVersion;
  const version = v === undefined ? format.unversioned : v;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return {
      status: 'invalid',
      reason: `formatVersion ${v === undefined ? 'missing' : JSON.stringify(v)}: not a version of a knd ${format.what}`,
      header,
    };
  }
  if (version > format.current) return { status: 'newer', version, header };
  let doc = raw;
  for (let at = version; at < format.current; at++) {
    const step = format.upgrades[at];
    if (!step) {
      return {
        status: 'invalid',
        reason: `format version ${String(at)} has no conversion to ${String(at + 1)}`,
        header,
      };
    }
    try {
      doc = step(doc);
    } catch (err) {
      return {
        status: 'invalid',
        reason: `converting format version ${String(at)} to ${String(at + 1)}: ${(err as Error).message}`,
        header,
      };
    }
  }
  const problem = format.check(doc);
  if (problem !== undefined) {
    return { status: 'invalid', reason: `format version ${String(version)}: ${problem}`, header };
  }
  return { status: 'ok', value: format.value(doc), fromVersion: version };
}

/** Strings at `key` of each object in `list` (header readers: tolerant of any shape). */
export function stringsAt(list: unknown, key: string): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((e) => (isJsonObject(e) ? e[key] : undefined))
    .filter((s): s is string => typeof s === 'string');
}
