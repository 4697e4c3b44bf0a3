import { describe, expect, it } from "vitest";
import { bundledLock, packageDirOf } from "./bundle-lock.js";

const project = JSON.stringify({
  name: "deploy-gameday",
  lockfileVersion: 3,
  packages: {
    "": { name: "deploy-gameday", dependencies: { pg: "^8" } },
    "node_modules/pg": { version: "8.23.1", integrity: "sha512-aa", license: "MIT", dependencies: { "pg-pool": "^3" } },
    "node_modules/pg-pool": { version: "3.14.0", integrity: "sha512-bb", license: "MIT" },
    "node_modules/@scope/lib": { version: "1.0.0", license: "ISC" },
    "node_modules/vitest": { version: "3.0.0", dev: true },
  },
});

describe("the bundled packages' lock file", () => {
  it("finds the package folder of a bundled file, scoped and nested", () => {
    expect(packageDirOf("node_modules/pg/lib/client.js")).toBe("node_modules/pg");
    expect(packageDirOf("node_modules/@scope/lib/index.js")).toBe("node_modules/@scope/lib");
    expect(packageDirOf("node_modules/pg/node_modules/pg-types/index.js")).toBe("node_modules/pg/node_modules/pg-types");
    expect(packageDirOf("fixtures/app/src/main.ts")).toBeUndefined();
  });

  it("lists exactly the packages whose files went into the bundle, at their locked versions", () => {
    const lock = JSON.parse(bundledLock(["fixtures/app/src/main.ts", "node_modules/pg/lib/index.js", "node_modules/pg/lib/client.js", "node_modules/pg-pool/index.js", "node_modules/@scope/lib/a.js"], project, { name: "evaluation-api", version: "1.0.0" }));
    expect(lock).toEqual({
      name: "evaluation-api",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: "evaluation-api", version: "1.0.0" },
        "node_modules/@scope/lib": { version: "1.0.0", license: "ISC" },
        "node_modules/pg": { version: "8.23.1", integrity: "sha512-aa", license: "MIT" },
        "node_modules/pg-pool": { version: "3.14.0", integrity: "sha512-bb", license: "MIT" },
      },
    });
  });

  it("refuses a bundled package the project's lock file does not list", () => {
    expect(() => bundledLock(["node_modules/left-pad/index.js"], project, { name: "a", version: "1" })).toThrow("the bundle holds node_modules/left-pad, which package-lock.json does not list: run npm install");
  });
});
