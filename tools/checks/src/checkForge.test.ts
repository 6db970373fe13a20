import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './workspace';

// scripts/check-forge.js on a one-resource app (the repository's own app is packaged by
// `npm run check:forge` in CI): it must pass a clean app and print sizes, and fail on a type error
// in a UI Kit resource, as `forge deploy` would.
function tinyApp(resourceSource: string) {
  const dir = mkdtempSync(join(tmpdir(), 'check-forge-app-'));
  mkdirSync(join(dir, 'src', 'frontend'), { recursive: true });
  writeFileSync(
    join(dir, 'manifest.yml'),
    [
      'modules:',
      '  confluence:homepageFeed:',
      '    - { key: feed, title: Feed, resource: feed, render: native, resolver: { function: resolver } }',
      '  function:',
      '    - { key: resolver, handler: index.handler }',
      'resources:',
      '  - { key: feed, path: src/frontend/feed.ts }',
      'app:',
      '  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000',
      '  runtime: { name: nodejs22.x }',
      '',
    ].join('\n'),
  );
  const tsconfig = { compilerOptions: { target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', strict: true, skipLibCheck: true, types: [] }, include: ['src/**/*.ts'] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  writeFileSync(join(dir, 'src', 'index.ts'), 'export const handler = async (): Promise<string> => "hi";\n');
  writeFileSync(join(dir, 'src', 'frontend', 'feed.ts'), resourceSource);
  return dir;
}

function checkForge(dir: string) {
  const run = spawnSync(process.execPath, [join(ROOT, 'packages', 'create-bgstore-app', 'template', 'shared', 'scripts', 'check-forge.js'), dir], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe('check:forge (Forge CLI packaging, offline)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('packages a clean app and prints the size of each bundle, saying the runtime wrapper is a stand-in', () => {
    const dir = tinyApp('const count: number = 1;\nexport default count;\n');
    dirs.push(dir);
    const { status, output } = checkForge(dir);
    expect(output).toContain('runtime wrapper: a STAND-IN');
    expect(output).toMatch(/index\.cjs\s+[\d.]+ KB/);
    expect(output).toMatch(/feed\s+nativeUI\s+js\s+[\d.]+ KB/);
    expect(output).toContain('check:forge OK: 1 function handler(s), 1 resource(s)');
    expect(status).toBe(0);
  }, 180_000);

  it('fails on a type error in a UI Kit resource, naming the file and the error', () => {
    const dir = tinyApp("const count: number = 'one';\nexport default count;\n");
    dirs.push(dir);
    const { status, output } = checkForge(dir);
    expect(output).toContain('check:forge FAILED');
    expect(output).toMatch(/feed\.ts\(1,7\)[\s\S]*TS2322/);
    expect(status).toBe(1);
  }, 180_000);
});
