// jest-environment-jsdom with the repository's hang guard (see hangGuard.js).
module.exports = require('./hangGuard').withHangGuard(require('jest-environment-jsdom').TestEnvironment);
