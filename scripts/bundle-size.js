#!/usr/bin/env node
// bgstore's own share of a UI Kit resource bundle, from an esbuild metafile: bundles a resource as
// a production build (minified, the published dist/ of @bgstore/*, as an app installs them; run
// `npm run build` first) with code splitting, as a bundler that splits serves it (the Forge CLI's
// webpack does): what a page loads first (the entry chunk and the chunks it imports) apart from the
// lazy chunks (`import()`: a replica's digest code, loaded on the first digest beat), each file
// gzipped on its own as each is fetched on its own. It splits the first load's bytes by package.
// min+gzip: bgstore bundled alone (every other package left out), and the full first load minus the
// same without @bgstore/* (which also drops immer and zustand, which only bgstore brings). Then
// bgstore alone for a feed that needs nothing else (scripts/size/feed.tsx: a store, `connect`, the
// hooks; target ≤ 7 KB for the first load, #20) and for a background script
// (scripts/size/background.ts: a store and `startHost`), each split by package and by source file
// (the files from a second bundle of the sources, whose total is printed beside the dist one).
// Usage: node scripts/bundle-size.js [resource]   (default: the example's board feed, then those two)
//        node scripts/bundle-size.js --record     (also writes the two into bench-results.json's `bundle`)
'use strict';
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = path.resolve(__dirname, '..');
/** The feed's budget (#20): bgstore alone, min+gzip. */
const FEED_TARGET_BYTES = 7 * 1024;
const gz = (text) => zlib.gzipSync(text, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
/** Everything but bgstore: what an app brings anyway (React, Forge) or bgstore's own dependencies. */
const OTHERS = ['react', 'react/*', 'immer', 'zustand', 'zustand/*', '@forge/*'];

/**
 * A production bundle of `entry`: dist/ of @bgstore/* (as installed), or their sources with `source`;
 * `split`: with code splitting (several output files), else one file with every `import()` inlined.
 */
function bundle(entry, external = [], source = false, split = false) {
  return esbuild.buildSync({
    entryPoints: [entry], bundle: true, minify: true, write: false, metafile: true, format: 'esm', platform: 'browser',
    ...(split ? { splitting: true, outdir: path.join(root, '.size-out'), chunkNames: '[name]-[hash]' } : {}),
    target: 'es2022', jsx: 'automatic', define: { 'process.env.NODE_ENV': '"production"' }, external, logLevel: 'silent',
    // No source condition: @bgstore/* resolve to their published dist/.
    conditions: source ? ['@bgstore/source'] : [], absWorkingDir: root,
  });
}

function owner(input) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1];
  const ws = /^packages\/([^/]+)\//.exec(path.relative(root, path.resolve(root, input)));
  return ws ? `@bgstore/${ws[1]}` : 'app';
}


/**
 * A split bundle's output files as a page loads them: `initial` (the entry chunk and every chunk it
 * imports statically, transitively) and `lazy` (the rest: loaded by `import()` when needed). Each
 * part's min and min+gzip bytes (every file gzipped on its own) and its min bytes by input.
 */
function partsOf(result) {
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o].entryPoint);
  const initial = new Set([entry]);
  for (const o of initial) for (const i of outputs[o].imports) if (i.kind === 'import-statement' && outputs[i.path]) initial.add(i.path);
  const files = new Map(result.outputFiles.map((f) => [path.relative(root, f.path), f.contents]));
  const part = (names) => ({
    files: names.length,
    min: names.reduce((n, o) => n + files.get(o).length, 0),
    gzip: names.reduce((n, o) => n + gz(files.get(o)), 0),
    inputs: names.flatMap((o) => Object.entries(outputs[o].inputs)),
  });
  const all = Object.keys(outputs).filter((o) => o.endsWith('.js'));
  return { initial: part(all.filter((o) => initial.has(o))), lazy: part(all.filter((o) => !initial.has(o))) };
}
const sumBy = (entries, key) => {
  const out = {};
  for (const [input, info] of entries) if (info.bytesInOutput) out[key(input)] = (out[key(input)] ?? 0) + info.bytesInOutput;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
};

/** The full breakdown of one resource's first load by package (split as a bundler that splits serves it), and bgstore's share of it. */
function report(entry) {
  const { initial, lazy } = partsOf(bundle(entry, [], false, true));
  const byOwner = sumBy(initial.inputs, owner);
  const total = initial.min;
  const withoutBgstore = partsOf(bundle(entry, ['@bgstore/*'], false, true)).initial;
  const bgstoreMin = Object.entries(byOwner).filter(([o]) => o.startsWith('@bgstore/')).reduce((n, [, b]) => n + b, 0);
  const bgstoreGz = initial.gzip - withoutBgstore.gzip;

  console.log(`${path.relative(root, entry)}: first load ${kb(total)} min, ${kb(initial.gzip)} min+gzip (esbuild, production, split); lazy chunks ${kb(lazy.min)} min, ${kb(lazy.gzip)} min+gzip`);
  for (const [o, bytes] of Object.entries(byOwner).slice(0, 12)) {
    console.log(`  ${o.padEnd(36)} ${kb(bytes).padStart(9)}  ${((100 * bytes) / total).toFixed(1).padStart(5)} %`);
  }
  // bgstore alone: the same entry with every other package left out (app code is a few hundred bytes).
  const others = Object.keys(byOwner).filter((o) => o !== 'app' && !o.startsWith('@bgstore/'));
  const alone = partsOf(bundle(entry, [...others, ...others.map((o) => `${o}/*`)], false, true));
  console.log(`bgstore (@bgstore/*): ${kb(bgstoreMin)} min in the first load (${((100 * bgstoreMin) / total).toFixed(1)} % of its bytes);`);
  console.log(`  min+gzip: ${kb(alone.initial.gzip)} first load bundled alone (with the few hundred bytes of app code in the entry), + ${kb(alone.lazy.gzip)} lazy;`);
  console.log(`  ${kb(bgstoreGz)} of ${kb(initial.gzip)} (${((100 * bgstoreGz) / initial.gzip).toFixed(1)} %) of the first load with the packages only bgstore brings (immer, zustand): the full first load minus the one without @bgstore/*`);
}

/**
 * bgstore alone (every other package left out) for an entry that needs nothing else of it, split as
 * a page loads it: `min` and `gzip` of the initial load, with its min bytes by package and by source
 * file (from a bundle of the sources, `files`); `lazy`, the chunks loaded later, likewise; `total`,
 * both. `source` measures the sources only (no build needed; the bench does so).
 */
function measureAlone(entry, source = false) {
  const built = partsOf(bundle(entry, OTHERS, source, true));
  const src = source ? built : partsOf(bundle(entry, OTHERS, true, true));
  const rel = (input) => path.relative(root, path.resolve(root, input));
  return {
    entry: rel(entry),
    from: source ? 'sources' : 'dist',
    min: built.initial.min,
    gzip: built.initial.gzip,
    byPackage: sumBy(built.initial.inputs, owner),
    files: { min: src.initial.min, gzip: src.initial.gzip, byFile: sumBy(src.initial.inputs, rel) },
    lazy: { chunks: built.lazy.files, min: built.lazy.min, gzip: built.lazy.gzip, byFile: sumBy(src.lazy.inputs, rel) },
    total: { min: built.initial.min + built.lazy.min, gzip: built.initial.gzip + built.lazy.gzip },
  };
}

/** The feed and the background script, bgstore alone, against the feed's target (`source`: see {@link measureAlone}). */
function measureBundles(source = false) {
  return {
    targetGzip: FEED_TARGET_BYTES,
    feed: measureAlone(path.join(__dirname, 'size/feed.tsx'), source),
    background: measureAlone(path.join(__dirname, 'size/background.ts'), source),
  };
}

/** Prints what {@link measureBundles} measured: the totals against the target, then by package and by file. */
function printBundles(m) {
  for (const [what, r] of [['a feed', m.feed], ['a background script', m.background]]) {
    const verdict = what === 'a feed' ? `; target ≤ ${kb(m.targetGzip)} (initial): ${r.gzip <= m.targetGzip ? 'met' : `${kb(r.gzip - m.targetGzip)} over`}` : '';
    console.log(`${what} (${r.entry}), bgstore alone (${r.from}): initial ${kb(r.min)} min, ${kb(r.gzip)} min+gzip${verdict}`);
    console.log(`  + lazy (${r.lazy.chunks} chunk${r.lazy.chunks === 1 ? '' : 's'}, loaded by import() when needed) ${kb(r.lazy.min)} min, ${kb(r.lazy.gzip)} min+gzip = total ${kb(r.total.min)} min, ${kb(r.total.gzip)} min+gzip (each file gzipped on its own)`);
    console.log(`  initial by package (min): ${Object.entries(r.byPackage).map(([o, b]) => `${o} ${kb(b)}`).join(', ')}`);
    console.log(`  initial by file (min, the sources bundled: ${kb(r.files.min)} min, ${kb(r.files.gzip)} min+gzip):`);
    for (const [file, bytes] of Object.entries(r.files.byFile)) if (bytes >= 200) console.log(`    ${String(bytes).padStart(6)}  ${file}`);
    if (r.lazy.chunks) console.log(`  lazy by file (min): ${Object.entries(r.lazy.byFile).map(([f, b]) => `${path.basename(f)} ${b}`).join(', ')}`);
  }
}

/** Writes the measurement into bench-results.json's `bundle` (the rest of the file kept). */
function record(m) {
  const file = path.join(root, 'bench-results.json');
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  saved.bundle = { date: new Date().toISOString(), ...m };
  fs.writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`);
  console.log(`wrote the bundle sizes to ${path.relative(root, file)} (bundle)`);
}

module.exports = { measureBundles, printBundles, FEED_TARGET_BYTES };

if (require.main === module) {
  const args = process.argv.slice(2);
  const given = args.find((a) => !a.startsWith('--'));
  if (given) report(path.resolve(given));
  else {
    report(path.join(root, 'apps/example/src/frontend/board.tsx'));
    const m = measureBundles();
    printBundles(m);
    if (args.includes('--record')) record(m);
  }
}
