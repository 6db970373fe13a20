import { buildSync } from 'esbuild';
import path from 'node:path';

/**
 * Bundles `app` (TypeScript importing `./src/index`) against core's sources as an app's bundler does
 * for `mode` (`process.env.NODE_ENV` defined, as the Forge CLI's webpack does for UI Kit), minified
 * as for production, with `external` left out; returns the bundle's text, to run where there is no
 * `process` (or to read).
 */
export function bundleFor(app: string, mode: 'production' | 'development', external: string[] = []): string {
  const { outputFiles } = buildSync({
    stdin: { contents: app, resolveDir: path.resolve(__dirname, '..'), loader: 'ts' },
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    conditions: ['@bgstore/source'],
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    external,
    logLevel: 'silent',
  });
  return outputFiles[0]!.text;
}
