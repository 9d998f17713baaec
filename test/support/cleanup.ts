/**
 * Teardown that tries every step even when one fails, then fails with all the problems: a suite's
 * afterAll must not leave a NIC, a release or a namespace behind because an earlier step threw.
 */
export class Cleanup {
  private readonly problems: string[] = [];

  async attempt(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.problems.push(`${what}: ${(error as Error).message}`);
    }
  }

  /** Throws one error listing every failed step; resolves when all succeeded. */
  done(): void {
    if (this.problems.length > 0) throw new Error(`cleanup failed:\n${this.problems.join('\n')}`);
  }
}
