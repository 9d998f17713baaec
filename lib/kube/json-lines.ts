// Splitting a watch response (one JSON document per line, chunks cut anywhere, multi-byte UTF-8
// characters included) into parsed documents. Pure; table-tested.

export class JsonLines {
  private pending: Buffer[] = [];

  /** The complete lines in `chunk` (plus what earlier chunks left), parsed; blank lines skipped. */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.pending).toString('utf8').trim();
      this.pending = [];
      if (line !== '') out.push(parseLine(line));
      start = nl + 1;
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
    return out;
  }

  /** What a stream that ended left unterminated: its last document, if any. */
  end(): unknown[] {
    const line = Buffer.concat(this.pending).toString('utf8').trim();
    this.pending = [];
    return line === '' ? [] : [parseLine(line)];
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    throw new Error(`watch stream: a line is not JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
  }
}
