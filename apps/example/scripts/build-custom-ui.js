// Builds the Custom UI resource (static/quick-add/main.js) with esbuild. Forge uploads Custom UI
// resources as they are, so this runs before `forge deploy` (and before `npm run check:forge`).
'use strict';
const path = require('path');
const { buildSync } = require('esbuild');

const app = path.join(__dirname, '..');
buildSync({
  entryPoints: [path.join(app, 'src/custom-ui/quick-add.tsx')],
  outfile: path.join(app, 'static/quick-add/main.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
