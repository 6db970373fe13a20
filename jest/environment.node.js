// jest-environment-node with the repository's hang guard (see hangGuard.js).
module.exports = require('./hangGuard').withHangGuard(require('jest-environment-node').TestEnvironment);
