// Shared Jest settings for every workspace. Workspace packages are consumed from source through the
// `@bgstore/source` export condition (their published `import`/`require` conditions point at dist/,
// which tests never need), so swc transpiles TypeScript on the fly; type checking is the separate
// `typecheck` task.
const SOURCE_CONDITION = '@bgstore/source';
// Module realms that the emulator bundles with esbuild pick up the same condition from NODE_OPTIONS
// (see `conditions` in @bgstore/emulator's bundle options); Jest's workers inherit it.
if (!(process.env.NODE_OPTIONS ?? '').includes(`--conditions=${SOURCE_CONDITION}`)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=${SOURCE_CONDITION}`.trim();
}

const { TIMEOUT_FACTOR } = require('./jest/hangGuard');
// Jest's own environments, with every test's and hook's timeout multiplied by the hang guard's factor.
const ENVIRONMENTS = { node: require.resolve('./jest/environment.node.js'), jsdom: require.resolve('./jest/environment.jsdom.js') };

module.exports = ({ dir, displayName, testEnvironment = 'node', ...rest }) => ({
  displayName,
  rootDir: dir,
  testEnvironment: ENVIRONMENTS[testEnvironment] ?? testEnvironment,
  testEnvironmentOptions: {
    // Jest's defaults for each environment, plus the source condition.
    customExportConditions: [...(testEnvironment === 'jsdom' ? ['browser'] : ['node', 'node-addons']), SOURCE_CONDITION],
  },
  testMatch: ['<rootDir>/**/*.test.ts', '<rootDir>/**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Shared 2-core machines run several suites at once: time limits here guard against hangs, not
  // speed, and grow under CI (jest/hangGuard.js).
  testTimeout: 30_000 * TIMEOUT_FACTOR,
  transform: {
    '^.+\\.(t|j)sx?$': [
      require.resolve('@swc/jest'),
      { jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } },
    ],
  },
  ...rest,
});
