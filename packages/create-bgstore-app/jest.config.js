module.exports = require('../../jest.preset')({
  dir: __dirname,
  displayName: 'create-bgstore-app',
  // The template's own tests run in a scaffolded app (`npm run e2e:create`), not here.
  testPathIgnorePatterns: ['/node_modules/', '/template/'],
});
