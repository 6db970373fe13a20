// Development-only text. Every bundler of a Forge resource defines `process.env.NODE_ENV` (the Forge
// CLI's webpack, esbuild's and vite's `define`), as immer and React need too: in a production build
// `DEV` is the literal `false`, and minifiers drop the long explanations behind it. A production
// error keeps its code and a short `[bgstore]` message that still says what went wrong.

/**
 * True unless `NODE_ENV` is `production`: the long, explaining form of errors and warnings. Written
 * out whole (not through `globalThis.process`) so bundlers replace it.
 * @internal
 */
export const DEV = process.env.NODE_ENV !== 'production';
