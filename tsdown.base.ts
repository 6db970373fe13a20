// Shared build settings for the published packages: `tsdown` in a package builds dist/ with
// ESM (.mjs + .d.mts) and CommonJS (.cjs + .d.cts), each with its own declarations, so Node,
// bundlers and TypeScript (node16 and bundler resolution) each get a matching pair.
import type { UserConfig } from 'tsdown';

export function libraryConfig(entry: Record<string, string>): UserConfig {
  return {
    entry,
    format: ['esm', 'cjs'],
    platform: 'neutral',
    target: 'es2022',
    dts: true,
    sourcemap: true,
    clean: true,
    tsconfig: 'tsconfig.build.json',
    // Node's built-ins stay imports (the neutral platform does not know them).
    deps: { neverBundle: [/^node:/] },
    // Timings on a shared 2-core machine are noise, not advice.
    inputOptions: { checks: { pluginTimings: false } },
    // The maps point into src/, which is published, instead of carrying a second copy of it.
    outputOptions: { sourcemapExcludeSources: true },
  };
}
