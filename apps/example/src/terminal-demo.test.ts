import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `npm start` runs this demo; it must work and keep its state on disk between runs.
function runDemo(dataDir: string): string {
  return execFileSync(process.execPath, ['-r', 'esbuild-register', join(__dirname, '..', 'scripts', 'terminal-demo.ts')], {
    encoding: 'utf8',
    env: { ...process.env, BGSTORE_DATA_DIR: dataDir },
  });
}

describe('npm start (terminal demo)', () => {
  it('adds in one tab, shows the other stale until reloaded, and keeps the count across runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgstore-demo-'));
    try {
      const first = runDemo(dir);
      expect(first).toMatch(/tab A feed: +Count: 1/);
      expect(first).toMatch(/tab B feed: +Count: 0 \| Add +<- events never leave a tab/);
      expect(first).toMatch(/reload tab B\n +tab B feed: +Count: 1/);
      const second = runDemo(dir);
      expect(second).toMatch(/tab A feed: +Count: 2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
