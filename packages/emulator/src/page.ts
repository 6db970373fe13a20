import { createEventBus, type EventBus } from './bus';
import type { EventFaults } from './faults';
import { createInvoker, type InvokeFaults, type InvokeLimits, type Invoker } from './invoke';
import { createModuleBridge } from './moduleBridge';
import { createModuleHandle, type ModuleHandle } from './moduleHandle';
import { createModuleInstance, type ModuleInstance, type ModuleSpec, type RealmFactory } from './moduleInstance';
import type { Random } from './random';
import type { Site } from './site';
import type { ForgeDoc } from './uikit';

export type { ModuleHandle } from './moduleHandle';
export type { CallBridge, ModuleSpec, Realm, RealmFactory } from './moduleInstance';

/** Options for {@link createPage}. */
export interface PageOptions {
  site: Site;
  modules: ModuleSpec[];
  realm: RealmFactory;
  /** The viewer; `null` for an anonymous user. @default 'emulated-user' */
  accountId?: string | null;
  events?: { faults?: EventFaults; selfDelivery?: boolean };
  invoke?: { faults?: InvokeFaults; limits?: Partial<InvokeLimits> };
  /** Page id, used in module instance ids. @default `page-N` */
  id?: string;
  /** Called after every UI Kit render of a module, e.g. to draw it. */
  onReconcile?: (moduleKey: string, tree: ForgeDoc | undefined) => void;
}

/** A Confluence page view with the app's modules on it. */
export interface Page {
  readonly id: string;
  readonly site: Site;
  readonly bus: EventBus;
  readonly invoker: Invoker;
  module(key: string): ModuleHandle;
  /** Starts modules: all in declaration order, or the keys given, in that order, one after the other. */
  start(keys?: string[]): Promise<void>;
  /** Starts the modules in an order drawn from the site's seed; returns that order. */
  startShuffled(): Promise<string[]>;
  /** Replaces a module with a fresh instance; the old one's listeners and timers vanish. */
  restart(key: string): Promise<void>;
  stop(key: string): void;
  setEventFaults(faults: EventFaults | undefined): void;
  setSelfDelivery(on: boolean): void;
  setInvokeFaults(faults: InvokeFaults | undefined): void;
  /** Stops every module. */
  close(): void;
}

let pageCount = 0;

/**
 * Creates a page of modules. Routing, invoke and realtime live here; how a realm is made is the
 * `realm` factory's business, so the same page runs Node `vm` realms in tests and iframes in a browser.
 */
export function createPage(options: PageOptions): Page {
  const { site, realm: makeRealm } = options;
  const id = options.id ?? `page-${++pageCount}`;
  const accountId = options.accountId === undefined ? 'emulated-user' : options.accountId ?? undefined;
  const specs = new Map(options.modules.map((m) => [m.key, m]));
  const instances = new Map<string, ModuleInstance>();
  let generation = 0;

  const bus = createEventBus({
    clock: site.clock,
    random: site.random,
    faults: options.events?.faults,
    selfDelivery: options.events?.selfDelivery,
    onListenerError: (error, member) => {
      for (const inst of instances.values()) if (inst.member.id === member.id) inst.errors.push(error);
    },
  });
  const invoker = createInvoker({ clock: site.clock, limits: options.invoke?.limits, faults: options.invoke?.faults, quota: site.quota });
  const targets = { site, bus, invoker, accountId, onReconcile: options.onReconcile };

  const specOf = (key: string) => {
    const spec = specs.get(key);
    if (!spec) throw new Error(`[emulator] no module '${key}' on this page; modules: ${[...specs.keys()].join(', ')}`);
    return spec;
  };

  async function startOne(key: string) {
    const spec = specOf(key);
    if (instances.get(key)?.alive) throw new Error(`[emulator] module '${key}' is already running; use restart()`);
    const instanceId = `${id}/${key}#${++generation}`;
    const inst = createModuleInstance(site, accountId, spec, instanceId);
    instances.set(key, inst);
    inst.realm = await makeRealm({
      name: instanceId,
      entry: spec.entry,
      callBridge: createModuleBridge(targets, inst, spec),
      clock: site.clock,
      onError: (error) => inst.errors.push(error),
      globals: spec.globals,
    });
  }

  function stopOne(key: string) {
    const inst = instances.get(key);
    if (!inst || !inst.alive) return;
    inst.alive = false;
    bus.removeMember(inst.member.id);
    for (const sub of inst.realtime) void sub.unsubscribe();
    inst.realm?.dispose();
  }

  return {
    id,
    site,
    bus,
    invoker,
    module: (key) => createModuleHandle(specOf(key), instances),
    async start(keys = [...specs.keys()]) {
      for (const key of keys) await startOne(key);
    },
    async startShuffled() {
      const keys = shuffle([...specs.keys()], site.random);
      for (const key of keys) await startOne(key);
      return keys;
    },
    async restart(key) {
      stopOne(key);
      await startOne(key);
    },
    stop: stopOne,
    setEventFaults: (faults) => bus.setFaults(faults),
    setSelfDelivery: (on) => bus.setSelfDelivery(on),
    setInvokeFaults: (faults) => invoker.setFaults(faults),
    close() {
      for (const key of instances.keys()) stopOne(key);
    },
  };
}

/** Fisher–Yates in place, drawing from the site's seeded random so a run's start order replays. */
function shuffle(keys: string[], random: Random): string[] {
  for (let i = keys.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return keys;
}
