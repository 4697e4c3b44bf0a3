/**
 * The packages esbuild bundled into the reference service, as a
 * package-lock.json of their own: the project's lock file narrowed to the
 * packages whose files went into the bundle (esbuild's metafile inputs). The
 * app image carries it beside app.js, so its SBOM names the JavaScript
 * packages inside the one bundled file, at the versions locked.
 */

interface LockFile {
  name?: string;
  version?: string;
  lockfileVersion?: number;
  packages?: Record<string, Record<string, unknown>>;
}

/** The package folder a bundled file came from: `node_modules/pg` of `node_modules/pg/lib/client.js` (scoped and nested too). */
export function packageDirOf(input: string): string | undefined {
  return /^((?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
}

export function bundledLock(inputs: readonly string[], projectLock: string, app: { name: string; version: string }): string {
  const lock = JSON.parse(projectLock) as LockFile;
  const dirs = [...new Set(inputs.map(packageDirOf).filter((d): d is string => d !== undefined))].sort();
  const packages: Record<string, Record<string, unknown>> = { "": { name: app.name, version: app.version } };
  for (const dir of dirs) {
    const entry = lock.packages?.[dir];
    if (!entry) throw new Error(`the bundle holds ${dir}, which package-lock.json does not list: run npm install`);
    const { version, resolved, integrity, license } = entry as Record<string, unknown>;
    packages[dir] = { version, ...(resolved ? { resolved } : {}), ...(integrity ? { integrity } : {}), ...(license ? { license } : {}) };
  }
  return `${JSON.stringify({ name: app.name, version: app.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
}
