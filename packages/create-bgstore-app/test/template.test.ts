import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// The scaffolded app's own tests (src/app.test.ts with its jest.config.js), run here on the
// workspace's packages from source; `npm run e2e:create` runs them again from packed tarballs.
// The app is written inside the workspace so that its imports resolve to the workspace's packages.
const scratch = path.join(__dirname, '..', '.scratch');
const bin = path.join(__dirname, '..', 'bin', 'create.js');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("#21 the template's tests pass in a fresh Confluence app, within the Jest config it ships", () => {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const app = path.join(scratch, 'confluence-app');
  expect(spawnSync(process.execPath, [bin, app], { encoding: 'utf8' }).status).toBe(0);
  // The app's own Jest config, plus the condition that reads the workspace's packages from source.
  writeFileSync(
    path.join(app, 'jest.workspace.config.js'),
    "module.exports = { ...require('./jest.config.js'), testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@bgstore/source'] } };\n",
  );
  const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--config', 'jest.workspace.config.js', '--ci'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const output = `${run.stdout}\n${run.stderr}`;
  expect({ status: run.status, output }).toEqual({ status: 0, output: expect.stringMatching(/Tests: +3 passed, 3 total/) });
}, 180_000);
