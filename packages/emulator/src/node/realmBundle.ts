import { statSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildFailure } from 'esbuild';

/** Options for {@link bundleModule}. */
export interface BundleOptions {
  /** Value of `process.env.NODE_ENV` in the bundle; picks React's development or production build. @default 'development' */
  mode?: 'development' | 'production';
  /** Appends an inline source map (a Node realm maps its stack traces with it). @default false here, true in `createNodeRealm` */
  sourcemap?: boolean;
  /** Import paths to replace, as esbuild's `alias`, e.g. `{ 'some-node-only-lib': './stub.ts' }`. */
  alias?: Record<string, string>;
  /**
   * Extra `exports` conditions to resolve packages with, as esbuild's `conditions` (the `browser`,
   * `import`/`require` and `default` conditions always apply), e.g. a monorepo's source condition.
   * @default the conditions this Node process was started with (`--conditions`, also in `NODE_OPTIONS`)
   */
  conditions?: string[];
}

/** A bundle as {@link loadBundle} returns it; the same object while the inputs are unchanged. */
export interface Bundle {
  /** Absolute path of the entry. */
  readonly entry: string;
  /** CommonJS code: run it with `module` and `exports` in scope; it sets `module.exports`. */
  readonly code: string;
  /** Absolute paths of every file esbuild read. */
  readonly inputs: readonly string[];
}

interface Built {
  bundle: Bundle;
  stamps: Array<[file: string, stamp: string]>;
}

const cache = new Map<string, Promise<Built>>();

/**
 * Bundles a module's entry for a browser-like realm, as the Forge CLI does with webpack: every
 * import inlined, `browser` fields honoured, JSX with the automatic runtime, CommonJS output.
 * @example
 * const code = await bundleModule(require.resolve('./feed.tsx'), { mode: 'production' });
 */
export async function bundleModule(entry: string, options: BundleOptions = {}): Promise<string> {
  return (await loadBundle(entry, options)).code;
}

/**
 * Like {@link bundleModule}, but returns the cached {@link Bundle} object. Results are kept in
 * memory per entry and options, and rebuilt when any input file's mtime or size changes, so many
 * realms from one entry bundle once.
 */
export async function loadBundle(entry: string, options: BundleOptions = {}): Promise<Bundle> {
  const file = path.resolve(entry);
  const key = JSON.stringify([file, options.mode ?? 'development', options.sourcemap ?? false, options.alias ?? {}, options.conditions ?? processConditions()]);
  const cached = cache.get(key);
  if (cached) {
    const built = await cached;
    if (built.stamps.every(([f, s]) => stampOf(f) === s)) return built.bundle;
    // Another caller saw the same stale bundle first and is rebuilding it.
    if (cache.get(key) !== cached) return loadBundle(entry, options);
  }
  const pending = buildBundle(file, options);
  cache.set(key, pending);
  pending.catch(() => {
    if (cache.get(key) === pending) cache.delete(key);
  });
  return (await pending).bundle;
}

/** Forgets every cached bundle. */
export function clearBundleCache(): void {
  cache.clear();
}

async function buildBundle(entry: string, options: BundleOptions): Promise<Built> {
  const workDir = path.dirname(entry);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      absWorkingDir: workDir,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser',
      format: 'cjs',
      target: 'es2022',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': JSON.stringify(options.mode ?? 'development') },
      sourcemap: options.sourcemap ? 'inline' : false,
      alias: options.alias,
      conditions: options.conditions ?? processConditions(),
      logLevel: 'silent',
    });
  } catch (error) {
    const failure = error as Partial<BuildFailure>;
    const details = failure.errors?.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('\n  ');
    throw new Error(`[emulator] could not bundle ${entry}${details ? `:\n  ${details}` : `: ${String(error)}`}`, { cause: error });
  }
  const output = result.outputFiles[0];
  if (!output) throw new Error(`[emulator] esbuild produced no output for ${entry}`);
  const inputs = Object.keys(result.metafile.inputs)
    // Namespaced inputs such as `(disabled):fs` are not files.
    .filter((p) => path.isAbsolute(p) || !/^[\w()-]+:/.test(p))
    .map((p) => path.resolve(workDir, p));
  return {
    bundle: { entry, code: output.text, inputs },
    stamps: inputs.map((f) => [f, stampOf(f)]),
  };
}

/** The `--conditions` (`-C`) Node was started with, from its arguments and `NODE_OPTIONS`. */
function processConditions(): string[] {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  const found: string[] = [];
  args.forEach((arg, i) => {
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(arg);
    if (inline) found.push(inline[1]!);
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1]) found.push(args[i + 1]!);
  });
  return [...new Set(found)];
}

function stampOf(file: string): string {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.mtimeMs}:${stat.size}` : 'missing';
}
