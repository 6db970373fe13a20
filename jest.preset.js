// Shared Jest settings for every workspace. Workspace packages are consumed from source, so swc
// transpiles TypeScript on the fly; type checking is the separate `typecheck` task.
module.exports = ({ dir, displayName, testEnvironment = 'node', ...rest }) => ({
  displayName,
  rootDir: dir,
  testEnvironment,
  testMatch: ['<rootDir>/**/*.test.ts', '<rootDir>/**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Shared 2-core machines run several suites at once: time limits here guard against hangs, not speed.
  testTimeout: 30_000,
  transform: {
    '^.+\\.(t|j)sx?$': [
      require.resolve('@swc/jest'),
      { jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } },
    ],
  },
  ...rest,
});
