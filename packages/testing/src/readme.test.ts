import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderApp } from './index';

// The root README's first code blocks are whole files, each opening with `// src/<path> — …`. They
// are written here as written, next to a manifest with their modules, and run: what the README
// shows is what this test runs, so the two cannot drift.
const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
const top = readme.slice(0, readme.indexOf('\n## '));
const files = [...top.matchAll(/```tsx?\n(\/\/ (src\/\S+) — [\s\S]*?)```/g)].map((m) => ({ file: m[2]!, code: m[1]! }));
// A directory of this run's own: a second `npm test` in the same checkout may run beside it.
const apps = path.join(__dirname, '..', 'test', '.readme-app');
let app: string;
let manifest: string;

beforeAll(() => {
  mkdirSync(apps, { recursive: true });
  app = mkdtempSync(path.join(apps, 'run-'));
  manifest = path.join(app, 'manifest.yml');
  mkdirSync(path.join(app, 'src', 'frontend'), { recursive: true });
  copyFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'readme', 'manifest.yml'), manifest);
  for (const { file, code } of files) writeFileSync(path.join(app, file), code);
  const base = path.relative(app, path.join(__dirname, '..', '..', '..', 'tsconfig.base.json'));
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ extends: base, include: ['src'] }));
});
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe("#21 the README's first code blocks", () => {
  it('are the store, the resolver, the background script, a feed and a byline, with their imports', () => {
    expect(files.map((f) => f.file)).toEqual(['src/store.ts', 'src/index.ts', 'src/frontend/background.tsx', 'src/frontend/feed.tsx', 'src/frontend/byline.tsx']);
    for (const { file, code } of files) expect({ file, imports: /^import /m.test(code) }).toEqual({ file, imports: true });
  });

  it('type-check, and their manifest validates', () => {
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(app, 'tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const validate = path.join(__dirname, '..', '..', '..', 'scripts', 'validate-manifest.js');
    expect(execFileSync(process.execPath, [validate, manifest], { encoding: 'utf8' })).toContain('manifest OK');
  }, 60_000);

  it('run as a Forge app: a card added in the feed shows in the byline, is stored, and another user sees it', async () => {
    const page = await renderApp({ manifest, modules: ['board-background', 'board-feed', 'board-byline'] });
    await page.module('board-byline').waitForText('0 cards');
    await page.module('board-feed').click('Add a card');
    await page.module('board-feed').waitForText('Card 1');
    await page.module('board-byline').waitForText('1 card');
    await page.waitFor(() => expect(Object.keys(page.kvs.dump()['entity:bgstore-doc'] ?? {})).toHaveLength(1));
    const bob = await page.openPage({ accountId: 'bob' });
    await bob.module('board-feed').waitForText('Card 1');
    for (const key of ['board-background', 'board-feed', 'board-byline']) expect(page.module(key).errors).toEqual([]);
  });
});
