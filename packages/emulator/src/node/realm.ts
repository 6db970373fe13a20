import path from 'node:path';
import vm from 'node:vm';
import { createRealClock, type Clock } from '../clock';
import type { CallBridge } from '../page';
import { loadBundle, type Bundle, type BundleOptions } from './realmBundle';
import { createRealmScheduler } from './realmScheduler';
import { inlineSourceMap, mapRealmStacks } from './realmStack';

/** Options for {@link createNodeRealm}. */
export interface NodeRealmOptions {
  /** Shown in error reports and as the vm context's name. */
  name: string;
  /** The module's entry file (TS/TSX/JS); bundled with esbuild before it runs. */
  entry: string;
  /**
   * Installed as `__bridge.callBridge` before the entry runs. Leave it out to get a realm without
   * `__bridge`, where importing `@forge/bridge` fails as it does outside a Forge frame.
   */
  callBridge?: CallBridge;
  /**
   * Drives the realm's `setTimeout`/`setInterval`, `Date.now()` and `performance.now()`, so code
   * that measures time sees the same clock its timers run on. @default the real clock
   */
  clock?: Clock;
  /** Extra globals, installed after the defaults (so they can replace one) and before the entry runs. */
  globals?: Record<string, unknown>;
  /**
   * How to bundle the entry. Source maps are on by default: errors made in the realm show the
   * module's source files and lines in their stacks, not lines of the bundle.
   * @default { sourcemap: true }
   */
  bundle?: BundleOptions;
  /**
   * Receives errors thrown by the realm's timer, immediate and microtask callbacks, which a browser
   * would report on the frame's `window` without stopping anything.
   * @default logs with `console.error`
   */
  onError?: (error: unknown) => void;
}

/** A module running in its own `vm` context: its own globals, its own copy of every package. */
export interface NodeRealm {
  /** The entry's `module.exports`. */
  readonly exports: unknown;
  /** The realm's global object (as the host sees it). */
  readonly context: vm.Context;
  /**
   * The realm's own `JSON.parse`: objects it returns belong to the realm (their prototypes are the
   * realm's), as objects a frame receives through `postMessage` do.
   */
  parseJson(text: string): unknown;
  /** True once {@link NodeRealm.dispose} ran. */
  readonly disposed: boolean;
  /**
   * Makes the realm inert, like a removed iframe: pending timers and immediates are cancelled, new
   * ones are never scheduled, and its `callBridge` calls are dropped (they return a promise that
   * never settles).
   */
  dispose(): void;
}

const scripts = new WeakMap<Bundle, vm.Script>();
const maps = new WeakMap<Bundle, ReturnType<typeof inlineSourceMap>>();
const SCRIPT_PREFIX = '(function (module, exports) {';

function mapOf(bundle: Bundle) {
  if (!maps.has(bundle)) maps.set(bundle, inlineSourceMap(bundle.code));
  return maps.get(bundle) ?? null;
}

/**
 * Runs a module's entry in a fresh realm, as Forge runs each module in its own iframe. The entry is
 * bundled (cached across realms), `self`/`window`/`globalThis` are the realm's global, and
 * `__bridge` is in place before any of the module's code runs.
 * @example
 * let tree;
 * const realm = await createNodeRealm({ name: 'feed', entry: require.resolve('./feed.tsx'),
 *   callBridge: (method, args) => { if (method === 'reconcile') tree = (args as { forgeDoc: unknown }).forgeDoc; } });
 * realm.dispose();
 */
export async function createNodeRealm(options: NodeRealmOptions): Promise<NodeRealm> {
  const bundle = await loadBundle(options.entry, { sourcemap: true, ...options.bundle });
  const clock = options.clock ?? createRealClock();
  const report = options.onError ?? ((error: unknown) => console.error(`[emulator] uncaught error in realm '${options.name}':`, error));
  const scheduler = createRealmScheduler(clock, report);
  let disposed = false;

  const bridge = options.callBridge;
  const callBridge: CallBridge | undefined = bridge && ((method, args) => (disposed ? new Promise(() => undefined) : bridge(method, args)));

  const sandbox: Record<string, unknown> = {
    console,
    ...scheduler.globals,
    structuredClone,
    TextEncoder,
    TextDecoder,
    URL,
    URLSearchParams,
    AbortController,
    AbortSignal,
    EventTarget,
    Event,
    Blob,
    FileReader: fileReader,
    atob,
    btoa,
    crypto: globalThis.crypto,
    performance: options.clock ? { now: () => clock.now(), timeOrigin: 0 } : { now: () => performance.now(), timeOrigin: performance.timeOrigin },
    ...(callBridge ? { __bridge: { callBridge } } : {}),
  };
  const context = vm.createContext(sandbox, { name: `forge module ${options.name}` });
  vm.runInContext('globalThis.self = globalThis; globalThis.window = globalThis;', context);
  const map = mapOf(bundle);
  if (map) mapRealmStacks(context, { filename: bundle.entry, map, firstLineOffset: SCRIPT_PREFIX.length, sourceRoot: path.dirname(bundle.entry) });
  if (options.clock) (vm.runInContext('Date', context) as DateConstructor).now = () => clock.now();
  for (const [key, value] of Object.entries(options.globals ?? {})) context[key] = value;

  const dispose = () => {
    if (disposed) return;
    disposed = true;
    scheduler.dispose();
  };

  const module = vm.runInContext('({ exports: {} })', context) as { exports: unknown };
  try {
    const run = scriptFor(bundle).runInContext(context) as (module: unknown, exports: unknown) => void;
    run.call(module.exports, module, module.exports);
  } catch (error) {
    dispose();
    throw error;
  }

  return {
    exports: module.exports,
    context,
    parseJson: vm.runInContext('JSON.parse', context) as (text: string) => unknown,
    get disposed() {
      return disposed;
    },
    dispose,
  };
}

function scriptFor(bundle: Bundle): vm.Script {
  let script = scripts.get(bundle);
  if (!script) {
    // Compiled once per bundle: a Script runs in any number of contexts.
    script = new vm.Script(`${SCRIPT_PREFIX}${bundle.code}\n})`, { filename: bundle.entry });
    scripts.set(bundle, script);
  }
  return script;
}

/**
 * The one `FileReader` method `@forge/bridge` uses (to send Blobs in event payloads); Node has no
 * `FileReader`. Called with `new`, it returns the reader object.
 */
function fileReader() {
  const reader = {
    result: null as string | null,
    error: null as unknown,
    onload: null as null | (() => void),
    onloadend: null as null | (() => void),
    onerror: null as null | ((error: unknown) => void),
    readAsDataURL(blob: Blob) {
      blob.arrayBuffer().then(
        (buffer) => {
          reader.result = `data:${blob.type || 'application/octet-stream'};base64,${Buffer.from(buffer).toString('base64')}`;
          reader.onload?.();
          reader.onloadend?.();
        },
        (error: unknown) => {
          reader.error = error;
          reader.onerror?.(error);
          reader.onloadend?.();
        },
      );
    },
  };
  return reader;
}
