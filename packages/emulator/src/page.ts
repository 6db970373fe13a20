import { createEventBus, type BusMember, type EventBus } from './bus';
import type { Clock } from './clock';
import type { EventFaults } from './faults';
import { defaultExtensionContext } from './contexts';
import { createInvoker, type InvokeFaults, type InvokeLimits, type Invoker, type ResolverHandler } from './invoke';
import { QuotaExceededError } from './quota';
import { realtimeScope, type RealtimeSubscription } from './realtime';
import type { Site } from './site';
import { click as clickIn, getText, type ForgeDoc } from './uikit';

/** The function a module's `@forge/bridge` calls for everything: `callBridge(method, args)`. */
export type CallBridge = (method: string, args?: unknown) => unknown;

/** A JS realm running one module's bundle (a Node `vm` context, or an iframe in a browser). */
export interface Realm {
  /** What the module's entry exports. */
  exports: unknown;
  /** Makes the realm inert: timers cleared, no more work. */
  dispose(): void;
  /**
   * Parses JSON into the realm's own objects, as `postMessage` into a frame does. Without it,
   * payloads are parsed in the page's realm.
   */
  parseJson?(text: string): unknown;
}

/** Makes a realm for a module; the page passes the module's `callBridge`, installed before the entry runs. */
export type RealmFactory = (options: {
  name: string;
  entry: string;
  callBridge: CallBridge;
  clock: Clock;
  /** Receives errors the module's own callbacks throw (timers, microtasks), as a frame's `window.onerror`. */
  onError: (error: unknown) => void;
  /** Extra globals from the module spec. */
  globals?: Record<string, unknown>;
}) => Promise<Realm>;

/** One UI module of the app on the page. */
export interface ModuleSpec {
  /** Manifest module key, e.g. `bgstore-background`. */
  key: string;
  /** Manifest module type, e.g. `confluence:backgroundScript`. */
  type: string;
  /** The module's entry (a source file for Node realms). */
  entry: string;
  /** The handler of the module's `resolver.function`, as `new Resolver().getDefinitions()` returns it. */
  resolver?: ResolverHandler;
  /**
   * Extension context on top of the module type's default (see `defaultExtensionContext`: the
   * issue and project for Jira issue view modules, content and space for Confluence content
   * modules…), e.g. `{ content: { id: '42', type: 'page' } }`.
   */
  extension?: Record<string, unknown>;
  /** Extra globals for the module's realm (test hooks); Forge itself gives modules none. */
  globals?: Record<string, unknown>;
}

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

/** A running (or stopped) module instance on a page. */
export interface ModuleHandle {
  readonly key: string;
  readonly type: string;
  /** Instance id; a restart makes a new one. */
  readonly id: string;
  readonly running: boolean;
  /** What the module's entry exports. */
  readonly exports: unknown;
  /** The `FullContext` that `view.getContext()` returns in this module. */
  readonly context: Record<string, unknown>;
  /** Errors the module raised: throwing listeners, `onError` from `@forge/react`. */
  readonly errors: unknown[];
  /** The latest UI Kit tree the module reconciled, if it renders UI Kit. */
  tree(): ForgeDoc | undefined;
  /** The text of the latest tree. */
  text(): string;
  /** Clicks the Button labelled `label` in the latest tree. */
  click(label: string | RegExp): Promise<void>;
  /** Waits until `predicate(tree)` holds, re-checking on every reconcile. */
  waitFor(predicate: (tree: ForgeDoc | undefined) => boolean, timeoutMs?: number): Promise<void>;
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

interface Instance {
  member: BusMember;
  realm?: Realm;
  tree?: ForgeDoc;
  waiters: Set<() => void>;
  realtime: Set<RealtimeSubscription>;
  errors: unknown[];
  context: Record<string, unknown>;
  alive: boolean;
}

const BENIGN = new Set(['emitReadyEvent', 'enableTheming', 'getFrameId', 'changeWindowTitle', 'emitFrontendCustomMetric', 'trackObjectStoreAction']);
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
  const instances = new Map<string, Instance>();
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

  const specOf = (key: string) => {
    const spec = specs.get(key);
    if (!spec) throw new Error(`[emulator] no module '${key}' on this page; modules: ${[...specs.keys()].join(', ')}`);
    return spec;
  };

  const contextOf = (spec: ModuleSpec, localId: string): Record<string, unknown> => ({
    ...(accountId ? { accountId } : {}),
    cloudId: site.cloudId,
    siteUrl: site.siteUrl,
    environmentId: site.environmentId,
    environmentType: site.environmentType,
    localId,
    locale: 'en-US',
    timezone: 'UTC',
    moduleKey: spec.key,
    extension: { type: spec.type, ...defaultExtensionContext(spec.type), ...spec.extension },
    theme: null,
    ...(site.license ? { license: site.license } : {}),
  });

  const toRealmOf = (inst: Instance, value: unknown) => (value === undefined ? undefined : inst.member.parse!(JSON.stringify(value)));

  function callBridgeFor(inst: Instance, spec: ModuleSpec): CallBridge {
    const toRealm = (value: unknown) => toRealmOf(inst, value);
    return (method, rawArgs) => {
      if (!inst.alive) return new Promise(() => undefined);
      const args = (rawArgs ?? {}) as Record<string, unknown>;
      switch (method) {
        case 'emit':
        case 'emitPublic':
          bus.emit(inst.member, args.event as string, args.payload, method === 'emitPublic');
          return Promise.resolve();
        case 'on':
        case 'onPublic':
          return Promise.resolve(bus.subscribe(inst.member, args.event as string, args.callback as (p: unknown) => unknown, method === 'onPublic'));
        case 'invoke': {
          if (typeof args.path === 'string') return Promise.reject(new Error('[emulator] invokeRemote/invokeService are not emulated'));
          const call = invoker.invoke({
            functionKey: args.functionKey,
            payload: args.payload,
            context: withoutAccount(inst.context),
            moduleKey: spec.key,
            accountId,
            handler: spec.resolver,
            runtime: { installContext: site.installContext, license: site.license, installation: { ari: site.installationId, contexts: [site.installContext] } },
          });
          return call.then((body) => toRealm(args.metadata ? { body, metadata: responseMetadata(args.metadata) } : body));
        }
        case 'getContext':
          return Promise.resolve(toRealm(inst.context));
        case 'reconcile':
          inst.tree = (args as { forgeDoc?: ForgeDoc }).forgeDoc;
          for (const w of [...inst.waiters]) w();
          options.onReconcile?.(spec.key, inst.tree);
          return undefined;
        case 'onError':
          inst.errors.push(args.error);
          return undefined;
        case 'publishRealtimeChannel':
        case 'subscribeRealtimeChannel':
          // Past the installation's Realtime quota a subscribe rejects and a publish resolves with `errors`.
          return new Promise((resolve) => resolve(realtimeCall(inst, spec, method, args)));
        default:
          if (BENIGN.has(method)) return Promise.resolve(undefined);
          return Promise.reject(new Error(`[emulator] callBridge('${method}') is not emulated; supported: emit, on, emitPublic, onPublic, invoke, getContext, reconcile, onError, publishRealtimeChannel, subscribeRealtimeChannel`));
      }
    };
  }

  /** What the bridge's `invoke` metadata asked for: `{rateLimitProperties: true}` gets the invocation windows left. */
  function responseMetadata(asked: unknown): Record<string, unknown> {
    const wants = typeof asked === 'object' && asked !== null && (asked as { rateLimitProperties?: unknown }).rateLimitProperties === true;
    return wants ? { rateLimitProperties: site.quota.rateLimitProperties(accountId) } : {};
  }

  function realtimeCall(inst: Instance, spec: ModuleSpec, method: string, args: Record<string, unknown>): unknown {
    // A channel a function signed a token for takes only pages that show one for it (realtimeBackend.ts).
    const publishing = method === 'publishRealtimeChannel';
    const refused = site.realtimeBackend.check(String(args.channelName), publishing ? 'publish' : 'subscribe', (args.options as { token?: unknown } | undefined)?.token);
    if (refused && publishing) return { eventId: null, eventTimestamp: null, errors: [{ message: `Realtime token validation failed: ${refused}` }] };
    if (refused) throw new Error(`[emulator] realtime.subscribe('${String(args.channelName)}') refused: ${refused}`);
    const scope = realtimeScope({ installation: site.installationId, moduleKey: spec.key, context: inst.context, isGlobal: Boolean(args.isGlobal) });
    if (method === 'publishRealtimeChannel') {
      try {
        return site.realtime.publish(scope, String(args.channelName), args.eventPayload);
      } catch (error) {
        // Forge's PublishResult carries an `errors` list: a refused publish resolves with it.
        if (error instanceof QuotaExceededError) return { eventId: null, eventTimestamp: null, errors: [`${error.code}: ${error.message}`] };
        throw error;
      }
    }
    const sub = site.realtime.subscribe(scope, String(args.channelName), (payload) => {
      if (inst.alive) (args.onEvent as (p: unknown) => void)(typeof payload === 'string' ? payload : toRealmOf(inst, payload));
    });
    inst.realtime.add(sub);
    return sub;
  }

  async function startOne(key: string) {
    const spec = specOf(key);
    if (instances.get(key)?.alive) throw new Error(`[emulator] module '${key}' is already running; use restart()`);
    const instanceId = `${id}/${key}#${++generation}`;
    const inst: Instance = {
      member: { id: instanceId, moduleKey: key, appId: site.appId, parse: (json) => (inst.realm?.parseJson ?? JSON.parse)(json) },
      waiters: new Set(),
      realtime: new Set(),
      errors: [],
      context: contextOf(spec, `${site.appId}/${site.environmentId}/${key}/${instanceId}`),
      alive: true,
    };
    instances.set(key, inst);
    inst.realm = await makeRealm({
      name: instanceId,
      entry: spec.entry,
      callBridge: callBridgeFor(inst, spec),
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

  function handle(key: string): ModuleHandle {
    const spec = specOf(key);
    const inst = () => {
      const i = instances.get(key);
      if (!i) throw new Error(`[emulator] module '${key}' has not been started`);
      return i;
    };
    return {
      key,
      type: spec.type,
      get id() {
        return inst().member.id;
      },
      get running() {
        return instances.get(key)?.alive ?? false;
      },
      get exports() {
        return inst().realm?.exports;
      },
      get context() {
        return inst().context;
      },
      get errors() {
        return inst().errors;
      },
      tree: () => inst().tree,
      text: () => (inst().tree ? getText(inst().tree!) : ''),
      async click(label) {
        const tree = inst().tree;
        if (!tree) throw new Error(`[emulator] module '${key}' has rendered no UI Kit tree`);
        await clickIn(tree, label);
      },
      waitFor(predicate, timeoutMs = 5000) {
        const i = inst();
        if (predicate(i.tree)) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            i.waiters.delete(check);
            reject(new Error(`[emulator] waitFor on '${key}' timed out after ${timeoutMs} ms; it shows: ${i.tree ? getText(i.tree) : '(nothing)'}`));
          }, timeoutMs);
          const check = () => {
            if (!predicate(i.tree)) return;
            clearTimeout(timer);
            i.waiters.delete(check);
            resolve();
          };
          i.waiters.add(check);
        });
      },
    };
  }

  return {
    id,
    site,
    bus,
    invoker,
    module: handle,
    async start(keys = [...specs.keys()]) {
      for (const key of keys) await startOne(key);
    },
    async startShuffled() {
      const keys = [...specs.keys()];
      for (let i = keys.length - 1; i > 0; i--) {
        const j = site.random.int(0, i);
        [keys[i], keys[j]] = [keys[j]!, keys[i]!];
      }
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

function withoutAccount(context: Record<string, unknown>): Record<string, unknown> {
  const { accountId: _accountId, ...rest } = context;
  return rest;
}
