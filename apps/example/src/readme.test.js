import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
// Runs the README's "Test your app in ten lines" snippet as written: its `test(...)` registers
// here. The snippet assumes the app root (where manifest.yml is) as the current directory.
const root = path.join(__dirname, '..', '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const section = readme.split(/^## /m).find((s) => s.startsWith('Test your app in ten lines'));
const snippet = /```ts\n([\s\S]*?)```/.exec(section ?? '')?.[1];
if (!snippet)
    throw new Error('README.md has no ```ts block under "## Test your app in ten lines"');
const cwd = process.cwd();
beforeAll(() => process.chdir(root));
afterAll(() => process.chdir(cwd));
it('keeps the snippet within ten lines', () => {
    expect(snippet.trimEnd().split('\n').length).toBeLessThanOrEqual(10);
});
const { code } = transformSync(snippet, { loader: 'ts', format: 'cjs' });
new Function('require', 'test', 'expect', code)(require, test, expect);
