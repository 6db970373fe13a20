#!/usr/bin/env node
// Proves `npm create bgstore-app` end to end, as a user outside this repository would run it:
// packs every published package (run `npm run build` first), scaffolds an app with the packed
// create-bgstore-app into a temporary folder outside the workspace, installs the packed @bgstore/*
// tarballs plus @forge/* and the rest from the registry, then runs the new app's tests, typecheck
// and check:forge. The Confluence app gets a fresh install; the Jira app reuses its node_modules
// (same dependencies); the Confluence app on Forge SQL (`--storage sql`: @forge/sql, and mysql2 for
// its tests on MariaDB, which CI installs) gets its own install. Prints the time from `npm create`
// to the first green test run.
// Usage: node scripts/e2e-create-app.js [--keep] [--only confluence|jira|sql]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const keep = process.argv.includes('--keep');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bgstore-e2e-'));
// A clean environment for the user's npm: no settings from the `npm run` that started us, and no
// workspace source condition.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD'));
env.FORCE_COLOR = '0';
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function run(cmd, args, cwd) {
  const started = Date.now();
  console.log(`\n$ ${[cmd, ...args].join(' ')}   (in ${cwd})`);
  execFileSync(cmd, args, { cwd, env, stdio: 'inherit' });
  return Date.now() - started;
}

try {
  const tarballs = path.join(work, 'tarballs');
  fs.mkdirSync(tarballs);
  const packages = fs.readdirSync(path.join(root, 'packages'))
    .map((name) => path.join(root, 'packages', name))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')) && !require(path.join(dir, 'package.json')).private);
  const packed = {};
  for (const dir of packages) {
    const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: dir, env, encoding: 'utf8' }));
    packed[info.name] = path.join(tarballs, info.filename);
  }
  console.log(`packed ${Object.keys(packed).length} packages into ${tarballs}`);

  const results = [];
  const variants = [
    { name: 'confluence', args: ['--product', 'confluence'], install: 'fresh' },
    // (With --only jira, the Jira app installs its own.)
    { name: 'jira', args: ['--product', 'jira'], install: only === 'jira' ? 'fresh' : 'my-confluence-app' },
    { name: 'sql', args: ['--storage', 'sql'], install: 'fresh' },
  ];
  for (const { name: product, args, install: from } of variants.filter((v) => !only || v.name === only)) {
    const app = path.join(work, `my-${product}-app`);
    const started = Date.now();
    // `npm create bgstore-app <dir>` is `npm exec create-bgstore-app <dir>`; here from the tarball.
    run('npm', ['exec', '--yes', `--package=${packed['create-bgstore-app']}`, '--', 'create-bgstore-app', app, ...args], work);
    // The packages are not on the registry yet: point the app at the tarballs, for its own
    // dependencies and for theirs on each other.
    const pkgFile = path.join(app, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    for (const field of ['dependencies', 'devDependencies']) {
      for (const name of Object.keys(pkg[field])) if (packed[name]) pkg[field][name] = `file:${packed[name]}`;
    }
    for (const [name, file] of Object.entries(packed)) if (name.startsWith('@bgstore/')) pkg.overrides[name] = `file:${file}`;
    fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
    let install;
    if (from === 'fresh') install = run('npm', ['install', '--no-audit', '--no-fund'], app);
    else fs.symlinkSync(path.join(work, from, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    const test = run('npm', ['test'], app);
    const green = Date.now() - started;
    const typecheck = run('npm', ['run', 'typecheck'], app);
    const forge = run('npm', ['run', 'check:forge'], app);
    results.push({ product, green, install, test, typecheck, forge });
  }
  console.log('\ncreate-bgstore-app end to end:');
  for (const r of results) {
    console.log(`  ${r.product.padEnd(10)} create → green test ${seconds(r.green).padStart(8)} (install ${r.install === undefined ? 'reused' : seconds(r.install)}, tests ${seconds(r.test)}); typecheck ${seconds(r.typecheck)}; check:forge ${seconds(r.forge)}`);
  }
  console.log('e2e:create OK');
} finally {
  if (keep) console.log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
