// Jest transpiles TypeScript with swc; types are checked by `npm run typecheck`.
module.exports = {
  testEnvironment: 'node',
  // @bgstore/testing's waits last until just before the test's timeout, so their message — what a
  // module shows, what it logged — is the one you read; rendering the app's modules takes a second
  // or two on a cold start (more on a busy CI machine), so a test gets well past Jest's default 5 s.
  testTimeout: 60_000,
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } }],
  },
};
