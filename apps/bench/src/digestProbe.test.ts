// The bench's digest figures (#22.1: what digests cost a late join and a replica's frames) measure
// replicas that run their digest checks, or the bench fails. The probe runs in a child process, as
// the bench does, through the bench's loader and through plain esbuild-register.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCH = join(__dirname, '..');

function probe(loader: string) {
  const run = spawnSync(process.execPath, ['--conditions=@bgstore/source', '-r', loader, join('src', 'digestProbe.ts')], { cwd: BENCH, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('#22.1 under the bench loader (register.js) a replica loads its digest code and catches a forged digest', () => {
  const run = probe('./register.js');
  expect(run.stderr).not.toContain('digest checks are off');
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({ digestMismatches: 1, digestLoadFailures: 0 });
});

test('#22.1 a replica that cannot load its digest code (plain esbuild-register) fails the bench with a [bench] error', () => {
  const run = probe('esbuild-register');
  expect(run.stderr).toContain('digest checks are off');
  expect(run.stderr).toContain('[bench] 1 of 1 replicas could not load their digest code');
  expect(run.status).toBe(1);
});
