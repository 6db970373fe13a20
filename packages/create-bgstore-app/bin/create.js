#!/usr/bin/env node
// npm create bgstore-app <dir> [--product confluence|jira] [--template notes|poll] [--storage kvs|sql]
// Writes a standalone Forge app on bgstore: manifest.yml, a store, a background script, two
// modules, the resolver, jest tests on @bgstore/testing, a tsconfig that Forge's packager accepts
// and `npm run check:forge`. Installs nothing: run `npm install` in the new folder.
'use strict';
const fs = require('fs');
const path = require('path');

const PRODUCTS = {
  confluence: { productName: 'Confluence', backgroundType: 'confluence:backgroundScript', feedName: 'homepage feed' },
  jira: { productName: 'Jira', backgroundType: 'jira:issueViewBackgroundScript', feedName: 'issue panel' },
};

const TEMPLATES = ['notes', 'poll'];
const STORAGES = ['kvs', 'sql'];

const usage = `Usage: npm create bgstore-app <dir> [-- --product confluence|jira] [--template notes|poll] [--storage kvs|sql]
       npx create-bgstore-app <dir> [--product confluence|jira] [--template notes|poll] [--storage kvs|sql]

Creates a Forge app on bgstore in <dir> (which must not exist or be empty).
  --product   confluence (default): a confluence:backgroundScript and two homepage feeds
              jira: a jira:issueViewBackgroundScript and two issue panels
  --template  notes (default): shared notes with votes
              poll (Confluence): a team poll — one vote per user, an admin-only reset checked on
              the server, a leader feed and a byline with the count
  --storage   kvs (default): the documents in Forge's key-value store (a storage entity)
              sql (notes): in Forge SQL — the manifest's sql module, bgstore's tables made by
              migrationRunner on install and upgrade; its tests need MariaDB (skipped without)`;

function parseArgs(argv) {
  const options = { dir: undefined, product: 'confluence', template: 'notes', storage: 'kvs' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    const eq = /^--(product|template|storage)=(.*)$/.exec(arg);
    if (eq) options[eq[1]] = eq[2];
    else if (arg === '--product' || arg === '--template' || arg === '--storage') options[arg.slice(2)] = argv[++i];
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else if (options.dir === undefined) options.dir = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  if (!options.dir) throw new Error('give the folder to create, e.g. `npm create bgstore-app my-app`');
  if (!PRODUCTS[options.product]) throw new Error(`--product must be one of ${Object.keys(PRODUCTS).join(', ')}, not ${options.product}`);
  if (!TEMPLATES.includes(options.template)) throw new Error(`--template must be one of ${TEMPLATES.join(', ')}, not ${options.template}`);
  if (options.template === 'poll' && options.product !== 'confluence') throw new Error('--template poll is a Confluence app (homepage feeds and a byline); leave out --product');
  if (!STORAGES.includes(options.storage)) throw new Error(`--storage must be one of ${STORAGES.join(', ')}, not ${options.storage}`);
  if (options.storage === 'sql' && options.template !== 'notes') throw new Error('--storage sql comes with the notes template; leave out --template');
  return options;
}

function packageJson(name, bgstoreVersion, storage) {
  const bgstore = `^${bgstoreVersion}`;
  return {
    name,
    version: '0.1.0',
    private: true,
    description: 'A Forge app on bgstore',
    scripts: {
      test: 'jest',
      typecheck: 'tsc --noEmit',
      'check:forge': 'node scripts/check-forge.js',
      deploy: 'forge deploy',
    },
    dependencies: {
      '@bgstore/core': bgstore,
      '@bgstore/forge': bgstore,
      '@bgstore/react': bgstore,
      '@bgstore/resolver': bgstore,
      '@forge/bridge': '^7.2.0',
      '@forge/kvs': '^1.6.5',
      '@forge/realtime': '^1.0.1',
      '@forge/react': '^12.3.1',
      '@forge/resolver': '^2.0.1',
      ...(storage === 'sql' ? { '@forge/sql': '^4.0.8' } : {}),
      react: '^18.3.1',
    },
    devDependencies: {
      '@bgstore/testing': bgstore,
      '@forge/cli': '13.3.0',
      '@swc/core': '^1.16.22',
      '@swc/jest': '^0.2.39',
      '@types/jest': '^30.0.0',
      '@types/node': '^20.19.0',
      '@types/react': '^18.3.31',
      jest: '^30.5.2',
      // The tests' Forge SQL runs on MariaDB through mysql2.
      ...(storage === 'sql' ? { mysql2: '^3.26.1' } : {}),
      typescript: '~6.0.3',
    },
    overrides: {
      // @forge/react 12 asks for ^11.3.0, which some registries lack (see README, "Install").
      '@atlaskit/navigation-system': '10.17.7',
      // The version the Forge CLI 13.3.0 packaging was checked with.
      webpack: '5.109.2',
    },
    allowScripts: { keytar: false, '@forge/cli': false, cloudflared: false, '@swc/core': false, esbuild: false, 'iframe-resizer': false },
  };
}

function copyTemplate(from, to, vars, skip = () => false) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const source = path.join(from, entry.name);
    // npm leaves `.gitignore` out of packages, so the template names it `gitignore`.
    const target = path.join(to, entry.name === 'gitignore' ? '.gitignore' : entry.name);
    if (entry.isDirectory()) {
      fs.mkdirSync(target, { recursive: true });
      copyTemplate(source, target, vars);
    } else {
      const text = fs.readFileSync(source, 'utf8').replace(/\{\{(\w+)\}\}/g, (m, key) => (key in vars ? vars[key] : m));
      fs.writeFileSync(target, text);
    }
  }
}

/** The lines the manifest gains on Forge SQL: a second function (the migrations), the sql module and the triggers that run them. */
const SQL_MODULES = `    - key: migrate
      handler: index.migrate
  sql:
    - key: main
      engine: mysql
  trigger:
    - key: bgstore-migrations
      function: migrate
      events:
        - avi:forge:installed:app
        - avi:forge:upgraded:app
`;

/**
 * Moves a scaffolded notes app onto Forge SQL: its resolver, tests and README section from
 * template/sql; in the manifest the sql module and the migrations' function and triggers, and no
 * storage entity or storage:app scope (nothing is kept in KVS).
 */
function toSql(dir, template, vars) {
  copyTemplate(path.join(template, 'sql'), dir, vars, (name) => name === 'README.md');
  const file = path.join(dir, 'manifest.yml');
  const manifest = fs.readFileSync(file, 'utf8');
  const resolverFunction = '    - key: resolver\n      handler: index.handler\n';
  if (!manifest.includes(resolverFunction)) throw new Error(`the template's manifest lacks the resolver function: ${file}`);
  const sql = manifest
    .replace(resolverFunction, resolverFunction + SQL_MODULES)
    .replace(/^permissions:\n {2}scopes:\n {4}- storage:app\n/m, '')
    .replace(/^ {2}storage:\n(?: {4,}.*\n)+/m, '');
  fs.writeFileSync(file, sql);
  const readme = path.join(dir, 'README.md');
  const section = fs.readFileSync(path.join(template, 'sql', 'README.md'), 'utf8');
  const text = fs
    .readFileSync(readme, 'utf8')
    .replace('storage entity `bgstore-doc` and scope `storage:app`', 'the `sql` module and the triggers that run `migrate`')
    .replace('`registerStores(resolver, [notes])`', '`registerStores(resolver, [notes], { storage: sqlStorage() })`, and `migrate`')
    .replace('\n## Install\n', `\n${section}\n## Install\n`);
  fs.writeFileSync(readme, text);
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`create-bgstore-app: ${error.message}\n\n${usage}`);
    process.exit(1);
  }
  if (options.help) return console.log(usage);
  const dir = path.resolve(options.dir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    console.error(`create-bgstore-app: ${dir} is not empty; pick a new folder`);
    process.exit(1);
  }
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9-._~]/g, '-');
  const { version } = require('../package.json');
  const vars = { name, ...PRODUCTS[options.product] };
  const template = path.join(__dirname, '..', 'template');
  fs.mkdirSync(dir, { recursive: true });
  if (options.template === 'poll') {
    // The shared tooling (Jest, tsconfig, check:forge); the poll's own code, README and manifest.
    copyTemplate(path.join(template, 'shared'), dir, vars, (name) => name === 'src' || name === 'README.md');
    copyTemplate(path.join(template, 'poll'), dir, vars);
  } else {
    copyTemplate(path.join(template, 'shared'), dir, vars);
    copyTemplate(path.join(template, options.product), dir, vars);
  }
  if (options.storage === 'sql') toSql(dir, template, vars);
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(packageJson(name, version, options.storage), null, 2)}\n`);
  const relative = path.relative(process.cwd(), dir);
  const cd = relative.startsWith('..') ? dir : relative || '.';
  console.log(`Created ${name} (${vars.productName}${options.storage === 'sql' ? ', Forge SQL' : ''}) in ${dir}

  cd ${cd}
  npm install
  npm test             # the app on bgstore's Forge emulator
  npm run check:forge  # Forge's packaging and lint, offline
  npx forge register && npx forge deploy && npx forge install`);
}

main();
