import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// `npm run demo` runs this; it must work and keep the board on disk between runs.
function runDemo(dataDir) {
    return execFileSync(process.execPath, ['--conditions=@bgstore/source', '-r', 'esbuild-register', join(__dirname, '..', 'scripts', 'terminal-demo.ts')], {
        encoding: 'utf8',
        env: { ...process.env, BGSTORE_DATA_DIR: dataDir },
    });
}
describe('the terminal demo', () => {
    it('adds a card in one tab, shows it in the other through storage, and keeps it across runs', () => {
        const dir = mkdtempSync(join(tmpdir(), 'bgstore-demo-'));
        try {
            const first = runDemo(dir);
            expect(first).toMatch(/tab B \(bob\) +summary +To do 1 · Doing 0 · Done 0/);
            const second = runDemo(dir);
            expect(second).toMatch(/tab B \(bob\) +summary +To do 2 · Doing 0 · Done 0/);
        }
        finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }, 60_000);
});
