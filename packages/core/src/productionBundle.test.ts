import vm from 'node:vm';
import { bundleFor } from '../test/bundled';

// #20 no deep work per action in production: a bundle built for production (bundlers define
// `process.env.NODE_ENV`, as the Forge CLI's webpack does for UI Kit) freezes nothing, also in a
// browser, which has no `process`; a development bundle still freezes.

const app = `
import { createHost, defineStore } from './src/index';
const store = defineStore({ name: 'b', initialState: { items: [{ done: false }] }, actions: { toggle: (d) => { d.items[0].done = !d.items[0].done; } } });
const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };
const host = createHost(store, { transport: { emit() {}, on: () => () => undefined }, clock });
host.actions.toggle();
result({ frozen: Object.isFrozen(host.getState().items[0]), done: host.getState().items[0].done });
`;

/** Bundles `app` against core's sources as a bundler would for `mode`, and runs it where there is no `process`. */
function runBundled(mode: 'production' | 'development'): { frozen: boolean; done: boolean } {
  const text = bundleFor(app, mode);
  let out: { frozen: boolean; done: boolean } | undefined;
  const context = vm.createContext({ result: (r: typeof out) => (out = r) });
  vm.runInContext(text, context);
  expect(vm.runInContext('typeof process', context)).toBe('undefined');
  return out!;
}

describe('#20 freezing follows the bundle’s NODE_ENV', () => {
  it('a production bundle freezes nothing, even without a `process`', () => {
    expect(runBundled('production')).toEqual({ frozen: false, done: true });
  });

  it('a development bundle freezes the states it hands out', () => {
    expect(runBundled('development')).toEqual({ frozen: true, done: true });
  });
});
