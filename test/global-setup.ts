import { configureTestcontainers } from "../harness/engine/docker.js";

/**
 * Runs once around the whole suite. Images are built by scripts/test.sh
 * before vitest starts (with visible progress); after the suite, whatever
 * still carries the project's label is reported by scripts/test.sh as a
 * failed check, so a leak is never silent.
 */
export default function setup(): void {
  configureTestcontainers();
}
