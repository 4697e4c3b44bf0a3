import { describe, expect, it } from "vitest";
import { sbomName, spdxPackages } from "./sbom.js";

describe("SBOM files", () => {
  it("names an image's SBOM after its logical name, safely", () => {
    expect(sbomName("app:good-1")).toBe("app_good-1.spdx.json");
    expect(sbomName("deploy-gameday/kind-node:v1.34.4")).toBe("deploy-gameday_kind-node_v1.34.4.spdx.json");
  });

  it("counts the packages of an SPDX document and refuses anything else", () => {
    expect(spdxPackages(JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [{ name: "libc6" }, { name: "pg" }] }))).toBe(2);
    expect(spdxPackages(JSON.stringify({ spdxVersion: "SPDX-2.3" }))).toBe(0);
    expect(() => spdxPackages(JSON.stringify({ bomFormat: "CycloneDX" }))).toThrow("not an SPDX document");
  });
});
