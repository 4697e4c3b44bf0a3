import { describe, expect, it } from "vitest";
import { scrapeShortfall, type ScrapeTarget } from "./prometheus.js";

const expected: ScrapeTarget[] = [
  { job: "app", address: "10.244.0.5:9100", labels: { role: "stable" } },
  { job: "app", address: "10.244.0.6:9100", labels: { role: "candidate" } },
  { job: "router", address: "10.96.0.9:8404", labels: {} },
];
const up = (instance: string, job = "app") => ({ job, instance, health: "up" });

describe("scrapeShortfall: why Prometheus is not scraping every target yet", () => {
  it("is nothing once every expected target is up", () => {
    expect(scrapeShortfall(expected, [up("10.244.0.5:9100"), up("10.244.0.6:9100"), up("10.96.0.9:8404", "router")])).toBeUndefined();
  });

  it("names a target not discovered yet (Prometheus hands them to its scrapers a moment after it starts)", () => {
    expect(scrapeShortfall(expected, [])).toBe("0 of 3 targets up; not discovered yet: app 10.244.0.5:9100, app 10.244.0.6:9100, router 10.96.0.9:8404");
  });

  it("names each target down with Prometheus's own last error", () => {
    const router = { job: "router", instance: "10.96.0.9:8404", health: "down", lastError: 'Get "http://10.96.0.9:8404/metrics": context deadline exceeded' };
    expect(scrapeShortfall(expected, [up("10.244.0.5:9100"), up("10.244.0.6:9100"), router])).toBe(
      '2 of 3 targets up; down: router 10.96.0.9:8404 down (Get "http://10.96.0.9:8404/metrics": context deadline exceeded)',
    );
  });

  it("counts a target not scraped yet (health unknown) as not up", () => {
    const unknown = { job: "app", instance: "10.244.0.6:9100", health: "unknown" };
    expect(scrapeShortfall(expected, [up("10.244.0.5:9100"), unknown, up("10.96.0.9:8404", "router")])).toBe("2 of 3 targets up; down: app 10.244.0.6:9100 unknown");
  });
});
