import { errorMessage } from "../common/errors.js";

export interface TeardownFailure {
  title: string;
  error: string;
}

/**
 * Teardowns are registered before the setup they undo, and run in reverse
 * order, each once, even when setup failed halfway; a failing teardown does
 * not stop the others.
 */
export class TeardownStack {
  private readonly stack: Array<{ title: string; fn: () => Promise<void> | void }> = [];
  private running: Promise<TeardownFailure[]> | undefined;

  add(title: string, fn: () => Promise<void> | void): void {
    this.stack.push({ title, fn });
  }

  get size(): number {
    return this.stack.length;
  }

  /** Run every registered teardown, last first. Safe to call more than once. */
  runAll(): Promise<TeardownFailure[]> {
    this.running ??= (async () => {
      const failures: TeardownFailure[] = [];
      while (this.stack.length > 0) {
        const { title, fn } = this.stack.pop()!;
        try {
          await fn();
        } catch (e) {
          failures.push({ title, error: errorMessage(e) });
        }
      }
      return failures;
    })().finally(() => {
      // Reset only once settled: when every teardown is synchronous the body above
      // finishes before `??=` assigns, and a reset inside it would be overwritten.
      this.running = undefined;
    });
    return this.running;
  }
}
