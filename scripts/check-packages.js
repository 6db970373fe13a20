#!/usr/bin/env node
// Checks what each published package gives its users, from the built dist/ (run `npm run build` first):
// - publint: package.json fields and `exports` against the files `npm pack` would ship;
// - @arethetypeswrong/cli: types resolve, and match the JavaScript they describe, under TypeScript's
//   node16 (from CommonJS and from ESM) and bundler resolution;
// - the tarball holds only dist/, src/ without tests (the source maps point there), README and
//   package.json; its size is printed;
// - every entry point loads in Node through `require` and `import`, and esbuild bundles it for the
//   browser and for Node (webpack 5, as Forge uses it, is exercised by `npm run check:forge`).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^[A-Z]+\.md$/, /^dist\/.+\.(m?js|d\.m?ts|m?js\.map)$/, /^src\/.+\.(tsx?|md)$/, /^bin\//];
const FORBIDDEN = [/\.test\.tsx?$/, /\.test-d\.ts$/, /(^|\/)tsconfig[^/]*\.json$/, /(^|\/)jest\.config/, /tsdown\.config/];

const dirs = fs.readdirSync(path.join(root, 'packages'))
  .map((name) => path.join(root, 'packages', name))
  .filter((dir) => fs.existsSync(path.join(dir, 'package.json')) && !require(path.join(dir, 'package.json')).private);

let failed = 0;
for (const dir of dirs) {
  const pkg = require(path.join(dir, 'package.json'));
  const problems = [];
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    } catch (error) {
      problems.push(`${path.basename(cmd)} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      return '';
    }
  };
  run(bin('publint'), ['--strict', '.']);
  // A package with types (a library, not a command such as create-bgstore-app).
  if (pkg.exports) run(bin('attw'), ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']);
  const [packed] = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']) || '[{}]');
  const files = (packed.files ?? []).map((f) => f.path);
  for (const file of files) {
    // A template is an app of its own: its tests and configs are what the user gets.
    if (file.startsWith('template/')) continue;
    if (FORBIDDEN.some((re) => re.test(file)) || !ALLOWED.some((re) => re.test(file))) problems.push(`tarball holds ${file}`);
  }
  if (!files.some((f) => f.startsWith('dist/')) && pkg.exports) problems.push('tarball has no dist/ (run `npm run build`)');
  for (const entry of Object.keys(pkg.exports ?? {}).filter((e) => e !== './package.json')) {
    const specifier = path.posix.join(pkg.name, entry);
    // Without the workspace's source condition, as a user's Node resolves it.
    const env = { ...process.env, NODE_OPTIONS: '' };
    // @forge/bridge needs the frame's bridge when it loads, as inside Forge.
    const frame = 'globalThis.__bridge = { callBridge: () => Promise.resolve() };';
    for (const code of [`${frame} require(${JSON.stringify(specifier)})`, `${frame} import(${JSON.stringify(specifier)}).then((m) => { if (!Object.keys(m).length) throw new Error('no exports'); })`]) {
      try {
        execFileSync(process.execPath, ['-e', code], { cwd: root, env, stdio: 'pipe' });
      } catch (error) {
        problems.push(`node: ${code} failed: ${String(error.stderr).split('\n').find((l) => /Error/.test(l)) ?? error.message}`);
      }
    }
    // Peers stay external (mysql2: the emulator's optional Forge SQL client, loaded only when used).
    for (const platform of ['browser', 'node']) {
      try {
        require('esbuild').buildSync({ stdin: { contents: `export * from ${JSON.stringify(specifier)};`, resolveDir: root }, bundle: true, write: false, platform, format: 'esm', logLevel: 'silent', external: ['@forge/*', 'react', 'esbuild', 'mysql2', 'node:*'] });
      } catch (error) {
        problems.push(`esbuild (${platform}) could not bundle ${specifier}: ${error.message.split('\n').slice(0, 3).join(' ')}`);
      }
    }
  }
  const size = packed.size ? `${(packed.size / 1024).toFixed(1)} KB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KB unpacked, ${files.length} files` : '?';
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${pkg.name.padEnd(22)} ${size}`);
  for (const p of problems) console.log(`     ${p.replace(/\n/g, '\n     ')}`);
  failed += problems.length ? 1 : 0;
}
console.log(failed ? `\ncheck:packages: ${failed} package(s) failed` : `\ncheck:packages OK: ${dirs.length} packages pass publint (strict), arethetypeswrong (node16 CJS/ESM, bundler), load in Node (require, import) and bundle with esbuild`);
process.exit(failed ? 1 : 0);
