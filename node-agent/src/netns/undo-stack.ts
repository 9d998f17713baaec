// A stack of undo actions: each kernel change pushes its inverse right after it succeeded; on
// failure unwind() runs them newest first, continuing past failing undos and reporting them all.
export interface UndoEntry {
  step: string;
  undo: () => Promise<void>;
}

export class UndoStack {
  private readonly entries: UndoEntry[] = [];

  push(step: string, undo: () => Promise<void>): void {
    this.entries.push({ step, undo });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Run every undo newest first; returns "step: error" texts of the undos that failed. */
  async unwind(): Promise<string[]> {
    const errors: string[] = [];
    for (let e = this.entries.pop(); e !== undefined; e = this.entries.pop()) {
      try {
        await e.undo();
      } catch (err) {
        errors.push(`undo ${e.step}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return errors;
  }
}
