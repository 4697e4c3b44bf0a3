import type { Clock, TimeScale } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import type { RequestResult } from "../load/load-generator.js";
import type { LoadProfile } from "../load/profile.js";
import { runLoad } from "../load/run-load.js";
import type { TeardownStack } from "../cleanup/teardown.js";
import type { Sink } from "../timeline/events.js";

/** A load phase running beside the steps and the strategy. */
export interface LoadPhase {
  /** Resolves at the load's first answer: a canary judged before any traffic reaches it would judge nothing. */
  firstAnswer(): Promise<void>;
  /** Waits for a load that ends by itself (`untilDone`), or stops it now, and waits until it has. */
  finish(options: { untilDone: boolean }): Promise<void>;
}

export function startLoad(
  profile: LoadProfile,
  options: { baseUrl: string; scale: TimeScale; clock: Clock; emit: Sink; signal: AbortSignal; teardown: TeardownStack; runId: string; onResult: (r: RequestResult) => void },
): LoadPhase {
  const { clock, signal } = options;
  const stop = new AbortController();
  let answered!: () => void;
  const flowing = new Promise<void>((resolve) => (answered = resolve));
  let running: Promise<unknown> | undefined;
  // Registered before the load starts, so it is stopped even when starting it fails half-way.
  options.teardown.add("stop the load", async () => {
    stop.abort();
    await running?.catch(() => undefined);
  });
  const load = runLoad(profile, {
    baseUrl: options.baseUrl,
    scale: options.scale,
    emit: options.emit,
    signal,
    stop: stop.signal,
    clock,
    runId: options.runId,
    onResult: (r) => {
      options.onResult(r);
      answered();
    },
  });
  running = load;
  load.catch(() => undefined); // awaited in finish(); an early rejection must not go unhandled meanwhile

  return {
    async firstAnswer() {
      const deadline = new AbortController();
      const onAbort = () => deadline.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const outcome = await Promise.race([
          flowing.then(() => "flowing" as const),
          load.then(
            () => "ended" as const,
            () => "ended" as const,
          ),
          clock.sleep(120_000, deadline.signal).then(
            () => "timeout" as const,
            () => "aborted" as const,
          ),
        ]);
        signal.throwIfAborted();
        if (outcome === "flowing") return;
        throw new HarnessError(outcome === "timeout" ? "TIMEOUT" : "COMMAND_FAILED", `the load ${outcome === "timeout" ? "sent nothing within 120 s" : "ended before any request was answered"}, so the strategy cannot be judged`, {
          hint: "run `bash scripts/tools.sh vegeta` to check the load generator; the run's events.jsonl shows the load phase",
        });
      } finally {
        deadline.abort();
        signal.removeEventListener("abort", onAbort);
      }
    },
    async finish({ untilDone }) {
      if (untilDone) await load;
      stop.abort();
      await load;
    },
  };
}
