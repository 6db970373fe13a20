import type { ModuleInstance, ModuleSpec } from './moduleInstance';
import { click as clickIn, getText, type ForgeDoc } from './uikit';

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

/**
 * The handle of module `spec`: every getter reads the page's current instance of that key, so one
 * handle follows the module across restarts.
 */
export function createModuleHandle(spec: ModuleSpec, instances: ReadonlyMap<string, ModuleInstance>): ModuleHandle {
  const { key } = spec;
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
    waitFor: (predicate, timeoutMs = 5000) => waitForTree(key, inst(), predicate, timeoutMs),
  };
}

function waitForTree(key: string, i: ModuleInstance, predicate: (tree: ForgeDoc | undefined) => boolean, timeoutMs: number): Promise<void> {
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
}
