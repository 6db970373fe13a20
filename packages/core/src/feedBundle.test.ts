import { buildSync } from 'esbuild';
import path from 'node:path';
import { bundleFor } from '../test/bundled';

// #20 a feed's bundle ≤ 7 KB: what a page's replica imports leaves out what only a host or the
// resolver runs (their retry policies and limits), and a production build leaves out the long
// explanations of errors and the freezing code; a bundler that splits leaves a replica's digest code
// out of the first load (a chunk of its own, loaded by `import()` on the first digest beat).

const feed = `
import { createReplica, defineStore } from './src/index';
const store = defineStore({ name: 'b', initialState: { n: 0 }, actions: { inc: (d) => void d.n++ } });
export const replica = createReplica(store, { transport: { emit() {}, on: () => () => undefined } });
`;

describe('#20 a feed bundles only what a replica runs', () => {
  const production = bundleFor(feed, 'production', ['immer', 'zustand', 'zustand/*']);
  const development = bundleFor(feed, 'development', ['immer', 'zustand', 'zustand/*']);

  it('leaves the host’s and the resolver’s retry policies and limits out', () => {
    // A replica's own policy and limit are in; the others' are not.
    expect(production.includes('3e4')).toBe(true);
    for (const name of ['resolverContention', 'storageBusy', 'revisionRecheck', 'clientTableBytes', 'clientTtlMs', 'seqJump']) expect({ name, bundled: production.includes(name) }).toEqual({ name, bundled: false });
  });

  it('leaves the long explanations and the freezing code out of a production build only', () => {
    for (const text of ['are all modules built from the same store definition', 'no longer ships in frontend bundles', 'Object.isFrozen']) {
      expect({ text, development: development.includes(text), production: production.includes(text) }).toEqual({ text, development: true, production: false });
    }
  });
});

describe('#20 a feed loads its digest code later', () => {
  it('a bundler that splits puts the digest code in a chunk the first load does not import', () => {
    const { outputFiles, metafile } = buildSync({
      stdin: { contents: feed, resolveDir: path.resolve(__dirname, '..'), loader: 'ts' },
      bundle: true, minify: true, write: false, metafile: true, splitting: true, format: 'esm', outdir: path.resolve(__dirname, '../.feed-split'),
      platform: 'browser', conditions: ['@bgstore/source'], define: { 'process.env.NODE_ENV': '"production"' }, external: ['immer', 'zustand', 'zustand/*'], logLevel: 'silent',
    });
    const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
    const first = outputs.find(([, o]) => o.entryPoint)!;
    const rest = outputs.filter((o) => o !== first);
    // The first load imports no chunk statically: the others are `import()`ed.
    expect(first[1].imports.filter((i) => i.kind === 'import-statement' && !i.external)).toEqual([]);
    expect(first[1].imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path)).toEqual(rest.map(([file]) => file));
    const text = (file: string) => outputFiles.find((f) => f.path.endsWith(file))!.text;
    // murmur3's finaliser constant, which only the digest hash uses.
    const digestCode = (file: string) => text(file).includes(String(0x85ebca6b));
    expect({ first: digestCode(first[0]), lazy: rest.map(([file]) => digestCode(file)) }).toEqual({ first: false, lazy: [true] });
    expect(Object.keys(rest[0]![1].inputs).map((input) => path.basename(input)).sort()).toEqual(['digestAdvance.ts', 'digestEngine.ts', 'digestHash.ts', 'stateDigest.ts']);
  });
});
