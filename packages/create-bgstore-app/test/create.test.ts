import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The scaffolded app's own tests, typecheck and Forge packaging run from packed tarballs in
// `npm run e2e:create` (CI); here, what the command writes.
const bin = path.join(__dirname, '..', 'bin', 'create.js');
const root = path.join(__dirname, '..', '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'create-bgstore-app-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const create = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: scratch, encoding: 'utf8' });
const validManifest = (dir: string) =>
  execFileSync(process.execPath, [path.join(root, 'scripts', 'validate-manifest.js'), path.join(dir, 'manifest.yml')], { encoding: 'utf8' });

describe('create-bgstore-app', () => {
  it('writes a Confluence app whose manifest validates, with .gitignore and bgstore at its own version', () => {
    const run = create('my-app');
    expect(run.status).toBe(0);
    const dir = path.join(scratch, 'my-app');
    expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'jest.config.js', 'manifest.yml', 'package.json', 'scripts', 'src', 'tsconfig.json']);
    const manifest = readFileSync(path.join(dir, 'manifest.yml'), 'utf8');
    expect(manifest).toContain('confluence:backgroundScript:');
    expect(manifest).toContain('- name: bgstore-doc');
    expect(validManifest(dir)).toContain('manifest OK');
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const own = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
    expect(pkg.name).toBe('my-app');
    expect(pkg.dependencies['@bgstore/forge']).toBe(`^${own}`);
    expect(pkg.devDependencies['@bgstore/testing']).toBe(`^${own}`);
    expect(pkg.overrides['@atlaskit/navigation-system']).toBe('10.17.7');
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/^# my-app\n\nA Forge app for Confluence/);
    expect(run.stdout).toContain('npm install');
  });

  it('writes a Jira app on the issue view background script with two issue panels', () => {
    expect(create('jira-app', '--product', 'jira').status).toBe(0);
    const dir = path.join(scratch, 'jira-app');
    const manifest = readFileSync(path.join(dir, 'manifest.yml'), 'utf8');
    expect(manifest).toContain('jira:issueViewBackgroundScript:');
    expect(manifest.match(/- key: notes-(list|summary)/g)).toHaveLength(2);
    expect(manifest).toContain('jira:issuePanel:');
    expect(validManifest(dir)).toContain('manifest OK');
  });

  it('#19 writes the notes app on Forge SQL: the sql module, the migrations on install and upgrade, no storage entity', () => {
    expect(create('sql-app', '--storage', 'sql').status).toBe(0);
    const dir = path.join(scratch, 'sql-app');
    const manifest = readFileSync(path.join(dir, 'manifest.yml'), 'utf8');
    expect(manifest).toContain('  sql:\n    - key: main\n      engine: mysql\n');
    expect(manifest).toMatch(/trigger:\n {4}- key: bgstore-migrations\n {6}function: migrate\n {6}events:\n {8}- avi:forge:installed:app\n {8}- avi:forge:upgraded:app\n/);
    expect(manifest).toContain('    - key: migrate\n      handler: index.migrate\n');
    expect(manifest).not.toContain('bgstore-doc');
    expect(manifest).not.toContain('storage:app');
    expect(validManifest(dir)).toContain('manifest OK');
    const index = readFileSync(path.join(dir, 'src', 'index.ts'), 'utf8');
    expect(index).toContain('registerStores(resolver, [notes], { storage: sqlStorage() })');
    expect(index).toContain('enqueueBgstoreMigrations(migrationRunner).run()');
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@forge/sql']).toBe('^4.0.8');
    expect(pkg.devDependencies.mysql2).toBe('^3.26.1');
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('## Forge SQL');
    // Jira too; the default stays KVS.
    expect(create('sql-jira', '--storage=sql', '--product', 'jira').status).toBe(0);
    expect(validManifest(path.join(scratch, 'sql-jira'))).toContain('manifest OK');
    expect(JSON.parse(readFileSync(path.join(scratch, 'my-app', 'package.json'), 'utf8')).dependencies['@forge/sql']).toBeUndefined();
  });

  it('refuses an unknown storage, and Forge SQL with the poll template', () => {
    expect(create('s1', '--storage', 'dynamo').stderr).toContain('--storage must be one of kvs, sql, not dynamo');
    expect(create('s2', '--storage', 'sql', '--template', 'poll').stderr).toContain('--storage sql comes with the notes template');
  });

  it('refuses a folder that is not empty, and an unknown product', () => {
    const dir = path.join(scratch, 'taken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'x'), '');
    const taken = create('taken');
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain('is not empty');
    const bad = create('other', '--product', 'bitbucket');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--product must be one of confluence, jira, not bitbucket');
  });
});
