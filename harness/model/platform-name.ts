/** The platforms a scenario can run on. */
export const PLATFORMS = ["docker", "kind", "kubernetes"] as const;
export type PlatformName = (typeof PLATFORMS)[number];
