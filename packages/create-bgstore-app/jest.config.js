module.exports = require('../../jest.preset')({
  dir: __dirname,
  displayName: 'create-bgstore-app',
  // The template's own tests run in a scaffolded app (`npm run e2e:create`), not here; nor do the
  // tests of the apps test/template.test.ts scaffolds in .scratch/ (another run's, at the same time).
  testPathIgnorePatterns: ['/node_modules/', '/template/', '/.scratch/'],
});
