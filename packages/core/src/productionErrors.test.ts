import vm from 'node:vm';
import { bundleFor } from '../test/bundled';

// #20 a feed's bundle ≤ 7 KB: a production bundle leaves the long explanations of errors out (they
// sit behind `process.env.NODE_ENV !== 'production'`, as React's and immer's do), and its errors
// still carry their code and a short `[bgstore]` message that says what went wrong.

const app = `
import { createReplica, defineStore } from './src/index';
import { decodeMessage } from '@bgstore/protocol';
const out = {};
const message = (fn) => { try { fn(); } catch (error) { return error.message; } };
out.badName = message(() => defineStore({ name: 'no spaces', initialState: {}, actions: {} }));
out.moved = message(() => defineStore({ name: 'b', initialState: {}, actions: {}, authorize: () => true }));
out.notFunction = message(() => defineStore({ name: 'b', initialState: {}, actions: { go: 1 } }));
out.optimistic = message(() => defineStore({ name: 'b', initialState: {}, actions: { go() {} }, optimistic: { gone: false } }));
const store = defineStore({ name: 'b', initialState: { n: 0 }, actions: { set: (d, n) => { d.n = n; } } });
out.badId = message(() => createReplica(store, { transport: { emit() {}, on: () => () => undefined }, createId: () => 'not an id' }));
const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };
const replica = createReplica(store, { transport: { emit() {}, on: () => () => undefined }, clock });
replica.actions.set(new Map()).catch((e) => { out.nonJson = { code: e.code, message: e.message }; });
// A status whose durable status says saving = 2: refused as malformed, naming the field.
out.malformed = decodeMessage([2, 'b', 't', 'e1', 5, [0, 0, 2]], 'b');
Promise.resolve().then(() => result(out));
`;

type Out = Record<'badName' | 'moved' | 'notFunction' | 'optimistic' | 'badId', string> & { nonJson: { code: string; message: string }; malformed: unknown };

/** Bundles `app` against core's sources as a bundler does for `mode`, runs it where there is no `process`. */
async function runBundled(mode: 'production' | 'development'): Promise<{ out: Out; text: string }> {
  const text = bundleFor(app, mode);
  const out = await new Promise<Out>((resolve) => {
    const context = vm.createContext({ result: resolve, queueMicrotask, Promise, console });
    vm.runInContext(text, context);
  });
  return { out, text };
}

describe('#20 production errors are short and still say what went wrong', () => {
  it('a production bundle leaves the long explanations out, and each error names what failed', async () => {
    const { out, text } = await runBundled('production');
    expect(text).not.toContain('no longer ships in frontend bundles');
    expect(text).not.toContain('are all modules built from the same store definition');
    expect(out.badName).toBe('[bgstore] bad store name "no spaces"');
    expect(out.moved).toBe('[bgstore] b: authorize moved to registerStores');
    expect(out.notFunction).toBe('[bgstore] b.go is not a function');
    expect(out.optimistic).toBe('[bgstore] b: optimistic.gone is no action');
    expect(out.badId).toBe('[bgstore] createId gave "not an id", not an id');
    expect(out.nonJson).toEqual({ code: 'INVALID_ARGS', message: '[bgstore] b.set: argument [0] is not JSON' });
    expect(out.malformed).toEqual({ ok: false, reason: 'malformed', detail: 'status.durable' });
  });

  it('a development bundle explains each error in full', async () => {
    const { out, text } = await runBundled('development');
    expect(text).toContain('no longer ships in frontend bundles');
    expect(out.badName).toMatch(/^\[bgstore\] store name "no spaces" must be 1–64 letters/);
    expect(out.moved).toMatch(/^\[bgstore\] store 'b': authorize moved to the resolver: registerStores\(resolver/);
    expect(out.notFunction).toBe("[bgstore] action 'go' of store 'b' must be a function (draft, ...args) => void");
    expect(out.optimistic).toMatch(/^\[bgstore\] store 'b': optimistic names 'gone', which is not one of its actions/);
    expect(out.badId).toMatch(/^\[bgstore\] createId gave "not an id": a client id is 1–64 characters/);
    expect(out.nonJson.message).toMatch(/^\[bgstore\] b\.set: argument \[0\] is not JSON \(use plain objects/);
    expect(out.malformed).toEqual({ ok: false, reason: 'malformed', detail: 'status.durable must be [revision, unsaved, saving (0 | 1), …]' });
  });
});
