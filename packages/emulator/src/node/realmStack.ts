// Stack traces that point at the module's source files instead of lines of its bundle. Node does
// not apply source maps to `vm` scripts, so a realm formats its own errors' stacks: each realm has
// its own `Error`, and V8 asks that realm's `Error.prepareStackTrace` for errors made there.
import { SourceMap } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const INLINE_MAP = '//# sourceMappingURL=data:application/json;base64,';

interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getFunctionName(): string | null;
  getTypeName(): string | null;
  getMethodName(): string | null;
  isConstructor(): boolean;
  isAsync?(): boolean;
  toString(): string;
}

/** Reads the inline source map esbuild appended to `code`, parsed on first use; null without one. */
export function inlineSourceMap(code: string): (() => SourceMap | null) | null {
  const at = code.lastIndexOf(INLINE_MAP);
  if (at < 0) return null;
  let map: SourceMap | null | undefined;
  return () => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(Buffer.from(code.slice(at + INLINE_MAP.length).trim(), 'base64').toString('utf8')));
      } catch {
        map = null;
      }
    }
    return map;
  };
}

/**
 * Makes errors created in `context` show source positions for frames in `filename` (the script the
 * bundle runs as). `firstLineOffset` is the number of characters the script adds before the bundle's
 * first line; `sourceRoot` is the folder esbuild's relative source paths start from.
 */
export function mapRealmStacks(context: vm.Context, options: { filename: string; map: () => SourceMap | null; firstLineOffset: number; sourceRoot: string }): void {
  const { filename, map, firstLineOffset, sourceRoot } = options;
  const frame = (site: CallSite): string => {
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (site.getFileName() !== filename || line === null || column === null) return site.toString();
    const entry = map()?.findEntry(line - 1, column - 1 - (line === 1 ? firstLineOffset : 0)) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number; name?: string }
      | undefined;
    if (!entry?.originalSource || entry.originalLine === undefined) return site.toString();
    const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : path.resolve(sourceRoot, entry.originalSource);
    const where = `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    const type = site.getTypeName();
    const fn = site.getFunctionName();
    const method = site.getMethodName();
    const name = fn ? (type && !site.isConstructor() && method !== null && type !== 'Object' ? `${type}.${fn}` : fn) : method ? `${type ?? '<anonymous>'}.${method}` : null;
    const prefix = `${site.isAsync?.() ? 'async ' : ''}${site.isConstructor() ? 'new ' : ''}`;
    return name ? `${prefix}${name} (${where})` : `${prefix}${where}`;
  };
  const RealmError = vm.runInContext('Error', context) as ErrorConstructor & { prepareStackTrace?: (error: Error, sites: CallSite[]) => string };
  RealmError.prepareStackTrace = (error, sites) => {
    let head: string;
    try {
      head = String(error);
    } catch {
      head = 'Error';
    }
    return head + sites.map((s) => `\n    at ${frame(s)}`).join('');
  };
}
