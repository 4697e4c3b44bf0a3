import { describe, expect, it } from "vitest";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { recoverySection } from "./recovery-section.js";

let t = 0;
const at = (e: TimelineEvent): Stamped => ({ ...e, at: "2026-12-01T00:00:00.000Z", t: ++t, specT: t * 600 }) as Stamped;

describe("the report's disaster recovery section", () => {
  it("is empty for a run without backups or a disaster", () => {
    expect(recoverySection([at({ type: "note", level: "info", message: "x" })])).toBe("");
  });

  it("lists each backup with its point in time and what became of it, and the recovery's phases", () => {
    t = 0;
    const html = recoverySection([
      at({ type: "backup.taken", id: "0001-database", kind: "database", bytes: 2048, sha256: "a", seconds: 0.4, takenAtSpecSeconds: 3600 }),
      at({ type: "backup.taken", id: "0002-database", kind: "database", bytes: 4096, sha256: "b", seconds: 0.5, takenAtSpecSeconds: 7200 }),
      at({ type: "backup.taken", id: "0003-database", kind: "database", bytes: 4096, sha256: "c", seconds: 0.5, takenAtSpecSeconds: 10800 }),
      at({ type: "backup.pruned", id: "0001-database", kind: "database", ageSpecSeconds: 7200, retentionSpecSeconds: 3600 }),
      at({ type: "recovery.phase", phase: "disaster", sinceDisasterSeconds: 0, detail: "the database container and its volume destroyed" }),
      at({ type: "backup.skipped", id: "0003-database", kind: "database", reason: "backup /some/where/0003-database.age is not the file that was written" }),
      at({ type: "backup.restored", id: "0002-database", kind: "database", bytes: 4096, seconds: 0.2, takenAtSpecSeconds: 7200 }),
      at({ type: "recovery.phase", phase: "restored", sinceDisasterSeconds: 4.5, detail: "backup 0002-database restored" }),
    ]);
    expect(html).toContain("<h3>Backups (3 taken)</h3>");
    expect(html).toContain("<tr><td>0001-database</td><td>database</td><td>1h00m</td><td>2.0 kB</td><td>0.40 s</td><td>pruned at 40m (2h00m old)</td></tr>");
    expect(html).toContain("<td>0002-database</td><td>database</td><td>2h00m</td><td>4.0 kB</td><td>0.50 s</td><td><b>restored</b></td>");
    // The reason without the machine's folders.
    expect(html).toContain("passed over by the restore: backup 0003-database.age is not the file that was written");
    expect(html).toContain("<tr><td>restored</td><td>4.50 s</td><td>1h20m</td><td>backup 0002-database restored</td></tr>");
  });
});
