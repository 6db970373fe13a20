import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { EntityDeclaration } from '@bgstore/emulator';

/** A UI module of the manifest: one entry under `modules.<type>` that has a `resource`. */
export interface ManifestModule {
  key: string;
  /** The manifest section, e.g. `confluence:backgroundScript`. */
  type: string;
  /** Absolute path of the resource's file (UI Kit) or folder (Custom UI). */
  entry: string;
  /** `render: native` (UI Kit) or a Custom UI resource. */
  render: 'native' | 'custom';
  /** Key of the `function` module its `resolver.function` names. */
  resolverFunction?: string;
}

/** What {@link readManifest} takes from `manifest.yml`. */
export interface AppManifest {
  /** The app root: the folder of `manifest.yml`. */
  dir: string;
  file: string;
  modules: ManifestModule[];
  /** `function` modules: key → handler, e.g. `resolver` → `index.handler`. */
  functions: Map<string, string>;
  /** `app.storage.entities`. */
  entities: EntityDeclaration[];
  /** Whether it declares Forge SQL (a `sql` module). */
  sql: boolean;
}

interface RawModule {
  key?: unknown;
  resource?: unknown;
  render?: unknown;
  resolver?: { function?: unknown };
  handler?: unknown;
}

const fail = (file: string, message: string): never => {
  throw new Error(`[bgstore/testing] ${file}: ${message}`);
};

/** Reads the modules, resources, functions and storage entities of a Forge `manifest.yml`. */
export function readManifest(file: string): AppManifest {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) fail(absolute, 'not found; pass `manifest` relative to the current directory (usually the app root)');
  const dir = path.dirname(absolute);
  const raw = (parse(readFileSync(absolute, 'utf8')) ?? {}) as {
    modules?: Record<string, RawModule[]>;
    resources?: Array<{ key?: unknown; path?: unknown }>;
    app?: { storage?: { entities?: EntityDeclaration[] } };
  };
  const resources = new Map((raw.resources ?? []).map((r) => [String(r.key), String(r.path)]));
  const functions = new Map<string, string>();
  const modules: ManifestModule[] = [];
  for (const [type, entries] of Object.entries(raw.modules ?? {})) {
    for (const m of entries ?? []) {
      if (type === 'function') {
        functions.set(String(m.key), String(m.handler));
        continue;
      }
      if (m.resource === undefined) continue;
      const resourcePath = resources.get(String(m.resource));
      if (resourcePath === undefined) fail(absolute, `module '${String(m.key)}' uses resource '${String(m.resource)}', which \`resources\` does not list`);
      const entry = path.resolve(dir, resourcePath!);
      const isFile = existsSync(entry) && statSync(entry).isFile();
      modules.push({
        key: String(m.key),
        type,
        entry,
        render: m.render === 'native' || isFile ? 'native' : 'custom',
        resolverFunction: typeof m.resolver?.function === 'string' ? m.resolver.function : undefined,
      });
    }
  }
  const sql = Array.isArray(raw.modules?.sql) && raw.modules.sql.length > 0;
  return { dir, file: absolute, modules, functions, entities: raw.app?.storage?.entities ?? [], sql };
}

const HANDLER_EXTENSIONS = ['.ts', '.tsx', '.js', '.jsx', '.cjs', '.mjs'];

/**
 * The file and export of a function handler such as `index.handler`: Forge resolves it under
 * `<app root>/src/` (`src/index.ts` exporting `handler`).
 */
export function handlerLocation(manifest: AppManifest, handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) fail(manifest.file, `function handler '${handler}' is not of the form <file>.<export>`);
  const base = path.join(manifest.dir, 'src', handler.slice(0, dot));
  const file = HANDLER_EXTENSIONS.map((ext) => base + ext).find((f) => existsSync(f));
  if (!file) fail(manifest.file, `function handler '${handler}': no ${path.relative(manifest.dir, base)}.(${HANDLER_EXTENSIONS.map((e) => e.slice(1)).join('|')})`);
  return { file: file!, exportName: handler.slice(dot + 1) };
}
