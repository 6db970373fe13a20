import { pathToFileURL } from 'node:url';
import type { ResolverHandler } from '@bgstore/emulator';
import { handlerLocation, type AppManifest } from './manifest';

/**
 * Loads each `function` module's handler once, from `src/` as Forge resolves `handler:
 * index.handler`, unless `given` has one for its key.
 */
export function createResolverLoader(manifest: AppManifest, given: Record<string, unknown> = {}): (functionKey: string | undefined) => Promise<ResolverHandler | undefined> {
  const handlers = new Map<string, ResolverHandler>();
  for (const [key, handler] of Object.entries(given)) handlers.set(key, handler as ResolverHandler);
  return async (functionKey) => {
    if (!functionKey) return undefined;
    if (!handlers.has(functionKey)) {
      const handler = manifest.functions.get(functionKey);
      if (!handler) throw new Error(`[bgstore/testing] ${manifest.file}: no function module '${functionKey}'`);
      const { file, exportName } = handlerLocation(manifest, handler);
      const loaded = (await loadModule(file)) as Record<string, unknown>;
      const fn = loaded[exportName];
      if (typeof fn !== 'function') throw new Error(`[bgstore/testing] ${file} does not export a function '${exportName}' (function '${functionKey}': handler ${handler})`);
      handlers.set(functionKey, fn as ResolverHandler);
    }
    return handlers.get(functionKey);
  };
}

// The CommonJS module object this file runs in, if any (Jest gives its own, whose `require` runs
// the test transform). Read through `typeof`, so the ES module build sees `undefined`.
declare const module: { require?: (id: string) => unknown } | undefined;

/**
 * `@bgstore/core` as the app has it (an optional peer: apps not on bgstore never load it), for
 * the test replicas of `connect()`. Loaded through the runner's `require`, so the test's copy.
 */
export function loadCore(): typeof import('@bgstore/core') {
  if (typeof module === 'undefined' || typeof module.require !== 'function') {
    throw new Error('[bgstore/testing] connect() loads @bgstore/core with require; run the tests under a CommonJS runner such as Jest');
  }
  try {
    return module.require('@bgstore/core') as typeof import('@bgstore/core');
  } catch (error) {
    throw new Error(`[bgstore/testing] connect() needs @bgstore/core installed next to @bgstore/testing: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function loadModule(file: string): Promise<unknown> {
  // Under Jest (and any CommonJS runner) `require` goes through the runner's transform, so a
  // TypeScript handler loads as the app's tests see it; in an ES module, a native import.
  if (typeof module !== 'undefined' && typeof module.require === 'function') return module.require(file);
  return import(pathToFileURL(file).href);
}
