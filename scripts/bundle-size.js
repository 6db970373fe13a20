#!/usr/bin/env node
// bgstore's own share of a UI Kit resource bundle, from an esbuild metafile: bundles a resource as
// a production build (minified, the published dist/ of @bgstore/*, as an app installs them; run
// `npm run build` first) and splits the output bytes by package. min+gzip: bgstore bundled alone
// (every other package left out), and the full bundle minus the same bundle without @bgstore/*
// (which also drops immer and zustand, which only bgstore brings). Then bgstore alone for a feed that
// needs nothing else (scripts/size/feed.tsx: a store, `connect`, the hooks; target ≤ 7 KB) and for a
// background script (scripts/size/background.ts: a store and `startHost`).
// Usage: node scripts/bundle-size.js [resource]   (default: the example's board feed, then those two)
'use strict';
const esbuild = require('esbuild');
const path = require('path');
const zlib = require('zlib');

const root = path.resolve(__dirname, '..');
const given = process.argv[2] && path.resolve(process.argv[2]);
const gz = (text) => zlib.gzipSync(text, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function bundle(entry, external = []) {
  return esbuild.buildSync({
    entryPoints: [entry], bundle: true, minify: true, write: false, metafile: true, format: 'esm', platform: 'browser',
    target: 'es2022', jsx: 'automatic', define: { 'process.env.NODE_ENV': '"production"' }, external, logLevel: 'silent',
    // No source condition: @bgstore/* resolve to their published dist/.
    conditions: [],
  });
}

function owner(input) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1];
  const ws = /^packages\/([^/]+)\//.exec(path.relative(root, path.resolve(root, input)));
  return ws ? `@bgstore/${ws[1]}` : 'app';
}

/** The full breakdown of one resource's bundle by package, and bgstore's share of it. */
function report(entry) {
  const full = bundle(entry);
  const [out] = full.outputFiles;
  const byOwner = {};
  for (const [input, info] of Object.entries(Object.values(full.metafile.outputs)[0].inputs)) {
    const o = owner(input);
    byOwner[o] = (byOwner[o] ?? 0) + info.bytesInOutput;
  }
  const total = out.contents.length;
  const withoutBgstore = bundle(entry, ['@bgstore/*']).outputFiles[0];
  const bgstoreMin = Object.entries(byOwner).filter(([o]) => o.startsWith('@bgstore/')).reduce((n, [, b]) => n + b, 0);
  const bgstoreGz = gz(out.contents) - gz(withoutBgstore.contents);

  console.log(`${path.relative(root, entry)}: ${kb(total)} min, ${kb(gz(out.contents))} min+gzip (esbuild, production)`);
  for (const [o, bytes] of Object.entries(byOwner).sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`  ${o.padEnd(36)} ${kb(bytes).padStart(9)}  ${((100 * bytes) / total).toFixed(1).padStart(5)} %`);
  }
  // bgstore alone: the same entry with every other package left out (app code is a few hundred bytes).
  const others = Object.keys(byOwner).filter((o) => o !== 'app' && !o.startsWith('@bgstore/'));
  const alone = bundle(entry, [...others, ...others.map((o) => `${o}/*`)]).outputFiles[0];
  console.log(`bgstore (@bgstore/*): ${kb(bgstoreMin)} min (${((100 * bgstoreMin) / total).toFixed(1)} % of the bytes);`);
  console.log(`  min+gzip: ${kb(gz(alone.contents))} bundled alone (with the few hundred bytes of app code in the entry);`);
  console.log(`  ${kb(bgstoreGz)} of ${kb(gz(out.contents))} (${((100 * bgstoreGz) / gz(out.contents)).toFixed(1)} %) with the packages only bgstore brings (immer, zustand): the full bundle minus the one without @bgstore/*`);
}

/** bgstore alone (every other package left out) for an entry that needs nothing else of it. */
function alone(entry, what) {
  const out = bundle(entry, ['react', 'react/*', 'immer', 'zustand', 'zustand/*', '@forge/*']).outputFiles[0];
  console.log(`${what} (${path.relative(root, entry)}): bgstore alone ${kb(out.contents.length)} min, ${kb(gz(out.contents))} min+gzip`);
}

if (given) report(given);
else {
  report(path.join(root, 'apps/example/src/frontend/board.tsx'));
  alone(path.join(__dirname, 'size/feed.tsx'), 'a feed (target ≤ 7 KB min+gzip)');
  alone(path.join(__dirname, 'size/background.ts'), 'a background script');
}
