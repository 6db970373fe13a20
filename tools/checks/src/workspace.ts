import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

/** The repository root (this file is tools/checks/src/workspace.ts). */
export const ROOT = join(__dirname, '..', '..', '..');

export interface Workspace {
  name: string;
  dir: string;
  manifest: { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; devDependencies?: Record<string, string> };
}

/** Every workspace under the root `workspaces` globs (each glob is `dir/*`). */
export function listWorkspaces(): Workspace[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces.flatMap((glob) => {
    const parent = join(ROOT, glob.replace(/\/\*$/, ''));
    if (!existsSync(parent)) return [];
    return readdirSync(parent)
      .map((d) => join(parent, d))
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        return { name: manifest.name as string, dir: relative(ROOT, dir), manifest };
      });
  });
}

/** Source files of a workspace that ship (tests, fixtures and configs excluded). */
export function shippedSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) {
        if (!['node_modules', 'test', '__tests__', 'fixtures', 'dist', 'build'].includes(entry)) walk(path);
      } else if (/\.(ts|tsx)$/.test(entry) && !/\.test\.tsx?$/.test(entry)) {
        out.push(path);
      }
    }
  };
  const src = join(ROOT, dir, 'src');
  if (existsSync(src)) walk(src);
  return out;
}

const builtins = new Set(builtinModules);

/** The packages a file imports (bare specifiers, reduced to the package name; `node:` built-ins omitted). */
export function importedPackages(file: string): string[] {
  // Comments (JSDoc examples among them) are not imports.
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [...text.matchAll(/(?:import|export)[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)]
    .map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!)
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
  return [...new Set(specs.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!)))].filter((p) => !builtins.has(p));
}
