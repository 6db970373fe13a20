// Runs the `*.fixture.ts` tests here in a Jest of their own (src/exits.test.ts starts it), to see
// that Jest exits after them: nothing the kit started may keep the process alive.
module.exports = require('../../../../jest.preset')({ dir: __dirname, displayName: 'exits', testMatch: ['<rootDir>/*.fixture.ts'] });
