import { importedPackages, listWorkspaces, shippedSources } from './workspace';

// What each package may depend on at run time (README, Contributing). Dependencies point down only.
// Test files may use anything their package lists as a devDependency.
const ALLOWED: Record<string, string[]> = {
  '@bgstore/protocol': [],
  '@bgstore/core': ['@bgstore/protocol', 'immer', 'zustand'],
  '@bgstore/react': ['@bgstore/core', '@bgstore/protocol', 'react', 'zustand'],
  '@bgstore/forge': ['@bgstore/core', '@bgstore/protocol', '@forge/bridge'],
  // @forge/sql: an optional peer, imported only by the `@bgstore/resolver/sql` entry.
  '@bgstore/resolver': ['@bgstore/protocol', '@bgstore/core', '@forge/kvs', '@forge/realtime', '@forge/resolver', '@forge/sql'],
  '@bgstore/devtools': ['@bgstore/core', '@bgstore/forge', '@bgstore/react', '@forge/bridge', '@forge/react', 'react', 'zustand'],
  // @forge/sql and mysql2 (its Forge SQL service's client): optional peers, loaded only when used.
  '@bgstore/emulator': ['@forge/bridge', '@forge/react', '@forge/resolver', '@forge/kvs', '@forge/sql', '@forge/manifest', 'react', 'esbuild', 'mysql2'],
  'create-bgstore-app': [],
  '@bgstore/testing': ['@bgstore/emulator', '@bgstore/core', 'yaml', '@forge/bridge', '@forge/react', '@forge/resolver', '@forge/kvs', 'react'],
};

const workspaces = listWorkspaces();
const libraries = workspaces.filter((w) => w.dir.startsWith('packages/'));

describe('package dependency direction', () => {
  it('finds the workspaces', () => {
    expect(libraries.map((w) => w.name)).toContain('@bgstore/emulator');
  });

  it.each(libraries.map((w) => [w.name, w] as const))('%s has a rule in the table', (name) => {
    expect(Object.keys(ALLOWED)).toContain(name);
  });

  it.each(libraries.map((w) => [w.name, w] as const))('%s declares only allowed run-time dependencies', (name, w) => {
    const declared = Object.keys({ ...w.manifest.dependencies, ...w.manifest.peerDependencies });
    expect(declared.filter((d) => !(ALLOWED[name] ?? []).includes(d))).toEqual([]);
  });

  it.each(libraries.map((w) => [w.name, w] as const))('%s imports only allowed packages from shipped code', (name, w) => {
    const offending = shippedSources(w.dir).flatMap((file) =>
      importedPackages(file)
        .filter((p) => !(ALLOWED[name] ?? []).includes(p))
        .map((p) => `${file}: ${p}`),
    );
    expect(offending).toEqual([]);
  });

  it('keeps the emulator free of bgstore: no workspace package in any of its dependency lists', () => {
    const emulator = workspaces.find((w) => w.name === '@bgstore/emulator')!;
    const all = Object.keys({ ...emulator.manifest.dependencies, ...emulator.manifest.peerDependencies, ...emulator.manifest.devDependencies });
    expect(all.filter((d) => d.startsWith('@bgstore/'))).toEqual([]);
  });

  it('reads imports the way the rule needs', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const os = require('node:os') as typeof import('node:os');
    const path = require('node:path') as typeof import('node:path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deps-')), 'x.ts');
    fs.writeFileSync(file, "/** @example import x from 'in-a-comment'; */\n// import y from 'also-a-comment';\nimport a from 'immer';\nimport type { B } from '@forge/bridge/out/types';\nexport { c } from './local';\nconst d = require('zustand/vanilla');\nimport 'side-effect';\nimport fs from 'node:fs';\nimport path from 'path';\n");
    expect(importedPackages(file).sort()).toEqual(['@forge/bridge', 'immer', 'side-effect', 'zustand']);
  });
});
