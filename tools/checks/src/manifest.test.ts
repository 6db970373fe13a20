import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './workspace';

// @forge/manifest's validate() is the offline part of `forge lint` (which needs a login).
function validate(manifestPath: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(process.execPath, [join(ROOT, 'scripts', 'validate-manifest.js'), manifestPath], { encoding: 'utf8' });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout) };
  }
}

describe('manifest.yml', () => {
  it('validates offline with @forge/manifest', () => {
    const result = validate(join(ROOT, 'manifest.yml'));
    expect(result.output).toContain('manifest OK');
    expect(result.ok).toBe(true);
  });

  it('declares a background script, a homepage feed, a resolver function and storage:app', () => {
    const text = readFileSync(join(ROOT, 'manifest.yml'), 'utf8');
    expect(text).toMatch(/confluence:backgroundScript:/);
    expect(text).toMatch(/confluence:homepageFeed:/);
    expect(text).toMatch(/function:\s*\n\s*- key: resolver/);
    expect(text).toMatch(/- storage:app/);
  });

  it('is caught by the validator when a resource path does not exist', () => {
    // A copy beside the original, so relative paths resolve the same way.
    const broken = readFileSync(join(ROOT, 'manifest.yml'), 'utf8').replace('frontend/board.tsx', 'frontend/missing.tsx');
    // Named per process: a second `npm test` in the same checkout may run this test at the same time.
    const path = join(ROOT, `.manifest-check.${process.pid}.yml`);
    writeFileSync(path, broken);
    try {
      const result = validate(path);
      expect(result.ok).toBe(false);
      expect(result.output).toContain("missing resource 'apps/example/src/frontend/missing.tsx'");
    } finally {
      rmSync(path);
    }
  });
});
