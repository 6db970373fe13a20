module.exports = require('../../jest.preset')({ dir: __dirname, displayName: 'bench' });
