import { bundleFor } from '../test/bundled';

// #20 a feed's bundle ≤ 7 KB: what a page's replica imports leaves out what only a host or the
// resolver runs (their retry policies and limits), and a production build leaves out the long
// explanations of errors and the freezing code.

const feed = `
import { createReplica, defineStore } from './src/index';
const store = defineStore({ name: 'b', initialState: { n: 0 }, actions: { inc: (d) => void d.n++ } });
export const replica = createReplica(store, { transport: { emit() {}, on: () => () => undefined } });
`;

describe('#20 a feed bundles only what a replica runs', () => {
  const production = bundleFor(feed, 'production', ['immer', 'zustand', 'zustand/*']);
  const development = bundleFor(feed, 'development', ['immer', 'zustand', 'zustand/*']);

  it('leaves the host’s and the resolver’s retry policies and limits out', () => {
    // A replica's own policy and limit are in; the others' are not.
    expect(production.includes('3e4')).toBe(true);
    for (const name of ['resolverContention', 'storageBusy', 'revisionRecheck', 'clientTableBytes', 'clientTtlMs', 'seqJump']) expect({ name, bundled: production.includes(name) }).toEqual({ name, bundled: false });
  });

  it('leaves the long explanations and the freezing code out of a production build only', () => {
    for (const text of ['are all modules built from the same store definition', 'no longer ships in frontend bundles', 'Object.isFrozen']) {
      expect({ text, development: development.includes(text), production: production.includes(text) }).toEqual({ text, development: true, production: false });
    }
  });
});
