import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { forgeSqlUnavailable } from '@bgstore/testing';

// The scaffolded apps' own tests (src/app.test.ts with their jest.config.js), run here on the
// workspace's packages from source; `npm run e2e:create` runs them again from packed tarballs.
// The apps are written inside the workspace so that their imports resolve to the workspace's packages,
// in a directory of this run's own: a second `npm test` in the same checkout may run beside it.
const scratches = path.join(__dirname, '..', '.scratch');
let scratch: string;
const bin = path.join(__dirname, '..', 'bin', 'create.js');
const validate = path.join(__dirname, '..', '..', '..', 'scripts', 'validate-manifest.js');
// The factor the repository's Jest preset multiplies every test's timeout by under CI (jest/hangGuard.js):
// the app's Jest, and the guard on it here, are hang guards that a loaded machine must not trip.
const TIMEOUT_FACTOR = Number(process.env.BGSTORE_TIMEOUT_FACTOR ?? 1);
beforeAll(() => {
  mkdirSync(scratches, { recursive: true });
  scratch = mkdtempSync(path.join(scratches, 'run-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Scaffolds an app with `args` and runs its tests with the Jest config it ships; returns Jest's output. */
function scaffoldAndTest(dir: string, ...args: string[]) {
  const app = path.join(scratch, dir);
  const created = spawnSync(process.execPath, [bin, app, ...args], { encoding: 'utf8' });
  expect(created.stderr).toBe('');
  expect(execFileSync(process.execPath, [validate, path.join(app, 'manifest.yml')], { encoding: 'utf8' })).toContain('manifest OK');
  // The app's own Jest config, plus the condition that reads the workspace's packages from source,
  // and its test timeout times the hang guard's factor.
  writeFileSync(
    path.join(app, 'jest.workspace.config.js'),
    "const own = require('./jest.config.js');\n" +
      `module.exports = { ...own, testTimeout: own.testTimeout * ${TIMEOUT_FACTOR}, testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@bgstore/source'] } };\n`,
  );
  const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--config', 'jest.workspace.config.js', '--ci'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 150_000 * TIMEOUT_FACTOR,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

it("#21 the notes template's tests pass in a fresh Confluence app, within the Jest config it ships", () => {
  expect(scaffoldAndTest('notes-app')).toEqual({ status: 0, output: expect.stringMatching(/Tests: +3 passed, 3 total/) });
}, 180_000);

it("#21 the poll template's tests pass: per-user votes, an async admin check, typed policies, pending display", () => {
  expect(scaffoldAndTest('poll-app', '--template', 'poll')).toEqual({ status: 0, output: expect.stringMatching(/Tests: +4 passed, 4 total/) });
}, 180_000);

it('#19 the notes app on Forge SQL (--storage sql): its migrations and tests pass on MariaDB, or skip saying why where it is missing', () => {
  const run = scaffoldAndTest('sql-app', '--storage', 'sql');
  if (forgeSqlUnavailable()) {
    expect(run).toEqual({ status: 0, output: expect.stringMatching(/Skipping the app's tests: Forge SQL runs on a real MariaDB[\s\S]*Tests: +2 skipped, 2 total/) });
  } else {
    expect(run).toEqual({ status: 0, output: expect.stringMatching(/Tests: +2 passed, 2 total/) });
  }
}, 180_000);

it('refuses the poll template for Jira, and an unknown template', () => {
  expect(spawnSync(process.execPath, [bin, path.join(scratch, 'x'), '--template', 'poll', '--product', 'jira'], { encoding: 'utf8' }).stderr).toContain('--template poll is a Confluence app');
  expect(spawnSync(process.execPath, [bin, path.join(scratch, 'y'), '--template', 'kanban'], { encoding: 'utf8' }).stderr).toContain('--template must be one of notes, poll, not kanban');
});
