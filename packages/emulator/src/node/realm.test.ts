import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { createManualClock } from '../clock';
import type { CallBridge } from '../page';
import { click, getText, type ForgeDoc } from '../uikit';
import { createNodeRealm, type NodeRealm, type NodeRealmOptions } from './realm';
import { bundleModule, loadBundle } from './realmBundle';

type EventsFixture = typeof import('../../test/fixtures/events');

const fixture = (name: string) => path.join(__dirname, '../../test/fixtures', name);
const EVENTS = fixture('events.ts');
const COUNTER = fixture('counter.tsx');
const PRODUCT_CONTEXT = fixture('product-context.tsx');

const settle = () => new Promise((resolve) => setImmediate(resolve));

const realms: NodeRealm[] = [];
async function realm(options: Partial<NodeRealmOptions> & { entry: string }) {
  const r = await createNodeRealm({ name: 'test', callBridge: () => Promise.resolve(), ...options });
  realms.push(r);
  return r;
}
afterEach(() => realms.splice(0).forEach((r) => r.dispose()));

/** A fake host that records calls and keeps the latest UI Kit tree. */
function fakeHost(context: Record<string, unknown> = {}) {
  const calls: Array<[string, unknown]> = [];
  let tree: ForgeDoc | undefined;
  const callBridge: CallBridge = (method, args) => {
    calls.push([method, args]);
    if (method === 'reconcile') tree = (args as { forgeDoc: ForgeDoc }).forgeDoc;
    if (method === 'getContext') return Promise.resolve(context);
    if (method === 'on') return Promise.resolve({ unsubscribe: () => undefined });
    return Promise.resolve();
  };
  return { calls, callBridge, methods: () => calls.map(([m]) => m), tree: () => tree, text: () => (tree ? getText(tree) : '') };
}

describe('createNodeRealm', () => {
  it('makes self, window and globalThis the realm global, with no fetch', async () => {
    const r = await realm({ entry: EVENTS });
    expect(vm.runInContext('self === globalThis && window === globalThis', r.context)).toBe(true);
    expect(vm.runInContext('typeof fetch + typeof XMLHttpRequest + typeof require + typeof process', r.context)).toBe('undefinedundefinedundefinedundefined');
    expect(vm.runInContext('typeof __bridge.callBridge', r.context)).toBe('function');
  });

  it('gives two realms from one entry separate globals', async () => {
    const a = (await realm({ entry: EVENTS })).exports as EventsFixture;
    const b = (await realm({ entry: EVENTS })).exports as EventsFixture;
    a.setGlobal('marker', 'a');
    expect(a.getGlobal('marker')).toBe('a');
    expect(b.getGlobal('marker')).toBeUndefined();
    expect((globalThis as Record<string, unknown>).marker).toBeUndefined();
  });

  it('gives each realm its own @forge/bridge bound to its own callBridge', async () => {
    const hostA = fakeHost({ moduleKey: 'a' });
    const hostB = fakeHost({ moduleKey: 'b' });
    const a = (await realm({ entry: EVENTS, callBridge: hostA.callBridge })).exports as EventsFixture;
    const b = (await realm({ entry: EVENTS, callBridge: hostB.callBridge })).exports as EventsFixture;
    expect(a.bridgeEvents).not.toBe(b.bridgeEvents);

    await a.emit('hello', { n: 1 });
    expect(hostA.calls).toContainEqual(['emit', { event: 'hello', payload: { n: 1 } }]);
    expect(hostB.methods()).toEqual(['on']);
    await expect(b.context()).resolves.toEqual({ moduleKey: 'b' });
    expect(hostA.methods()).not.toContain('getContext');
  });

  it('passes host callbacks through: a listener registered with on() runs in the realm', async () => {
    const host = fakeHost();
    const r = (await realm({ entry: EVENTS, callBridge: host.callBridge })).exports as EventsFixture;
    await r.subscribed;
    const on = host.calls.find(([m]) => m === 'on')?.[1] as { event: string; callback: (p: unknown) => Promise<void> };
    expect(on.event).toBe('fixture.ping');
    await on.callback({ n: 7 });
    expect(r.received).toEqual([{ n: 7 }]);
    expect(host.calls).toContainEqual(['emit', { event: 'fixture.pong', payload: { n: 7 } }]);
  });

  it('sends Blob payloads the way @forge/bridge serialises them', async () => {
    const host = fakeHost();
    const r = (await realm({ entry: EVENTS, callBridge: host.callBridge })).exports as EventsFixture;
    await r.emit('file', { blob: new Blob(['hi'], { type: 'text/plain' }) });
    expect(host.calls).toContainEqual(['emit', { event: 'file', payload: { blob: { data: 'data:text/plain;base64,aGk=', type: 'text/plain', __isBlobData: true } } }]);
  });

  it('fails to import @forge/bridge without __bridge, as outside a Forge frame', async () => {
    const failed = createNodeRealm({ name: 'bare', entry: EVENTS });
    await expect(failed).rejects.toThrow(/Unable to establish a connection with the Custom UI bridge/);
    expect((await failed.catch((e: unknown) => e))?.constructor?.name).toBe('BridgeAPIError');
  });

  it('renders the real @forge/react counter and re-renders on click', async () => {
    const host = fakeHost();
    await realm({ entry: COUNTER, callBridge: host.callBridge });
    expect(host.text()).toBe('Count: 0\nAdd');

    await click(host.tree()!, 'Add');
    expect(host.text()).toBe('Count: 1\nAdd');
    expect(host.methods().filter((m) => m === 'reconcile')).toHaveLength(2);
  });

  it('runs React effects and bridge round trips without advancing a manual clock', async () => {
    const clock = createManualClock();
    const host = fakeHost({ moduleKey: 'feed' });
    await realm({ entry: PRODUCT_CONTEXT, callBridge: host.callBridge, clock });
    expect(host.text()).toBe('Loading');
    for (let i = 0; i < 5 && host.text() === 'Loading'; i++) await settle();
    expect(host.text()).toBe('Module: feed');
    expect(clock.pending()).toBe(0);
  });

  it('runs timers and intervals on the given clock', async () => {
    const clock = createManualClock();
    const r = await realm({ entry: EVENTS, clock });
    vm.runInContext(
      `globalThis.ticks = []; setTimeout((x) => ticks.push(x), 100, 'timeout');
       let n = 0; const interval = setInterval(() => { ticks.push('tick'); if (++n === 3) clearInterval(interval); }, 40);`,
      r.context,
    );
    clock.advance(200);
    expect(vm.runInContext('ticks', r.context)).toEqual(['tick', 'tick', 'timeout', 'tick']);
    expect(clock.pending()).toBe(0);
  });

  it('stops its timers, immediates and bridge calls once disposed', async () => {
    const clock = createManualClock();
    const host = fakeHost();
    const r = await realm({ entry: EVENTS, clock, callBridge: host.callBridge });
    vm.runInContext(
      `globalThis.fired = []; setTimeout(() => fired.push('timeout'), 10); setInterval(() => fired.push('interval'), 10);
       setImmediate(() => fired.push('immediate'));`,
      r.context,
    );
    expect(clock.pending()).toBe(2);
    const callsBefore = host.calls.length;
    r.dispose();
    expect(r.disposed).toBe(true);
    expect(clock.pending()).toBe(0);
    clock.advance(100);
    await settle();
    expect(vm.runInContext('fired', r.context)).toEqual([]);

    vm.runInContext(`setTimeout(() => fired.push('late'), 1)`, r.context);
    expect(clock.pending()).toBe(0);
    let settled = false;
    void (r.exports as EventsFixture).emit('after', {}).finally(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    expect(host.calls).toHaveLength(callsBefore);
  });

  it('reports errors thrown by its callbacks and keeps running', async () => {
    const errors: unknown[] = [];
    const clock = createManualClock();
    const r = await realm({ entry: EVENTS, clock, onError: (e) => errors.push(e) });
    vm.runInContext(`globalThis.after = false; setTimeout(() => { throw new Error('boom'); }, 1); setTimeout(() => { after = true; }, 2);`, r.context);
    clock.advance(5);
    expect(errors).toEqual([expect.objectContaining({ message: 'boom' })]);
    expect(vm.runInContext('after', r.context)).toBe(true);
  });

  it('installs extra globals before the entry runs', async () => {
    const r = await realm({ entry: EVENTS, globals: { appFlag: 42 } });
    expect((r.exports as EventsFixture).getGlobal('appFlag')).toBe(42);
  });
});

describe('bundleModule', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'realm-bundle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles once for many realms and again when an input changes', async () => {
    const entry = path.join(dir, 'entry.ts');
    const dep = path.join(dir, 'dep.ts');
    writeFileSync(dep, 'export const value = 1;\n');
    writeFileSync(entry, "export { value } from './dep';\n");
    const first = await loadBundle(entry);
    expect(await Promise.all([loadBundle(entry), loadBundle(entry)])).toEqual([first, first]);
    expect(first.inputs).toEqual(expect.arrayContaining([entry, dep]));

    writeFileSync(dep, 'export const value = 22;\n');
    utimesSync(dep, new Date(), new Date(Date.now() + 5000));
    const second = await loadBundle(entry);
    expect(second).not.toBe(first);
    const r = await realm({ entry });
    expect((r.exports as { value: number }).value).toBe(22);
  });

  it('names the entry and the failure when bundling fails', async () => {
    const entry = path.join(dir, 'broken.ts');
    writeFileSync(entry, "import './missing';\n");
    await expect(bundleModule(entry)).rejects.toThrow(/\[emulator\] could not bundle .*broken\.ts:\n.*Could not resolve "\.\/missing"/);
  });

  it('#14 shows source files and lines, not bundle lines, in stack traces from the realm', async () => {
    const dep = path.join(dir, 'thrower.ts');
    const entry = path.join(dir, 'stack-entry.ts');
    writeFileSync(dep, "export const pad = 1;\n\nexport function explode(): never {\n  throw new Error('from the module');\n}\n");
    writeFileSync(entry, "import { explode } from './thrower';\nexport const run = () => explode();\n");
    const r = await realm({ entry });
    let stack = '';
    try {
      (r.exports as { run(): void }).run();
    } catch (error) {
      stack = (error as Error).stack ?? '';
    }
    expect(stack.split('\n').slice(0, 3)).toEqual(['Error: from the module', `    at explode (${dep}:4:9)`, `    at run (${entry}:2:26)`]);
    const plain = await realm({ entry, bundle: { sourcemap: false } });
    expect(() => (plain.exports as { run(): void }).run()).toThrow(expect.objectContaining({ stack: expect.not.stringContaining(dep) }));
  });

  it('inlines React in the chosen mode', async () => {
    const dev = await bundleModule(COUNTER);
    const prod = await bundleModule(COUNTER, { mode: 'production' });
    expect(dev).toContain('react.development');
    expect(prod).not.toContain('react.development');
    expect(prod.length).toBeLessThan(dev.length);
  });
});
