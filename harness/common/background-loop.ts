/**
 * Work a run does in the background for as long as it lasts (a backup
 * schedule, secret rotations): `run` gets a signal that aborts when stop()
 * is called or the run's own signal aborts, and returns once it has finished
 * what was under way. Its stop goes on the run's teardown when it starts, so
 * however the run ends, the loop has ended before the teardown goes on.
 */
export class BackgroundLoop {
  private readonly life = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly o: {
      /** What the teardown step says: "stop the database backup schedule". */
      readonly title: string;
      readonly teardown: { add(title: string, fn: () => Promise<void> | void): void };
      readonly signal: AbortSignal;
      readonly run: (life: AbortSignal) => Promise<void>;
    },
  ) {}

  start(): void {
    if (this.loop) return;
    this.o.teardown.add(this.o.title, () => this.stop());
    const onAbort = () => this.life.abort();
    this.o.signal.addEventListener("abort", onAbort, { once: true });
    if (this.o.signal.aborted) this.life.abort();
    this.loop = this.o.run(this.life.signal).finally(() => this.o.signal.removeEventListener("abort", onAbort));
  }

  /** Let nothing new begin; resolves once what was under way has finished. */
  async stop(): Promise<void> {
    this.life.abort();
    await this.loop;
  }
}
