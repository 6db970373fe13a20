// How the bench runs the packages' TypeScript sources: esbuild-register (`node -r ./register.js`), with
// dynamic `import()` lowered to `require()`. A replica loads its digest code with
// `import('./digestEngine')`; left native, that import goes through Node's ESM resolver, which finds
// no extensionless `.ts` file (ERR_MODULE_NOT_FOUND), so every replica of the bench would run with
// its digest checks off. As `require()` it resolves like the sources' static imports, and still only
// on a replica's first digest beat, as the built CommonJS package loads the chunk. Only the bench's
// own run is changed: the packages keep their `import()` (a feed's bundler splits the digest code off).
require('esbuild-register/dist/node').register({
  target: `node${process.version.slice(1)}`,
  supported: { 'dynamic-import': false },
});
