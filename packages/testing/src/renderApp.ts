import { pathToFileURL } from 'node:url';
import {
  click as clickIn,
  createKvsFetch,
  createPage,
  createSite,
  findButton,
  type Clock,
  type ForgeDoc,
  type KvsFetch,
  type ModuleSpec,
  type Page,
  type ResolverHandler,
  type Site,
} from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { handlerLocation, readManifest, type AppManifest } from './manifest';

/** Options of {@link renderApp}. */
export interface RenderAppOptions {
  /** Path of the app's `manifest.yml`, relative to the current directory. @default 'manifest.yml' */
  manifest?: string;
  /**
   * Keys of the manifest modules to put on the page, started in this order (any order works with
   * bgstore). @default every module with a UI Kit resource, in manifest order
   */
  modules?: string[];
  /** The viewer; `null` for an anonymous user. @default 'alice' */
  accountId?: string | null;
  /**
   * Resolver handlers by `function` key, instead of loading `src/<file>` from each function's
   * `handler` (which needs a runner that loads TypeScript, such as Jest).
   */
  resolvers?: Record<string, unknown>;
  /** Extra extension context by module key, e.g. `{ byline: { content: { id: '42', type: 'page' } } }`. */
  extensions?: Record<string, Record<string, unknown>>;
  /** How long waits (`waitFor`, `waitForText`, `click`) wait before failing. @default 5000 */
  timeoutMs?: number;
  /** The emulator's clock. Waits poll in real time, so pass a manual clock only if you drive time yourself. @default the real clock */
  clock?: Clock;
  /** Seed of the emulator's random choices. @default 1 */
  seed?: number;
}

/** A module of the rendered app. */
export interface AppModule {
  readonly key: string;
  readonly type: string;
  /** The text of its latest UI Kit tree ('' before the first render). */
  text(): string;
  /** Its latest UI Kit tree. */
  tree(): ForgeDoc | undefined;
  /** Waits until a Button labelled `label` is shown and enabled, then clicks it. */
  click(label: string | RegExp): Promise<void>;
  /** Waits until its text contains `text` (a string, whitespace collapsed) or matches it (a RegExp). */
  waitForText(text: string | RegExp): Promise<void>;
  /** Errors the module raised (uncaught in callbacks, or reported by `@forge/react`). */
  readonly errors: unknown[];
}

/** A page of the app: one user's tab with the chosen modules. */
export interface AppPage {
  readonly page: Page;
  module(key: string): AppModule;
  /**
   * Retries `assertion` until it stops throwing (re-run after every render and every 20 ms), and
   * returns its result; fails with its last error after `timeoutMs`, or at once on a setup error
   * such as a storage entity missing from the manifest.
   * @example await app.waitFor(() => expect(app.module('feed').text()).toContain('Saved'));
   */
  waitFor<T>(assertion: () => T | Promise<T>, options?: { timeoutMs?: number }): Promise<T>;
  /** Stops the page's modules. */
  close(): void;
}

/** What {@link renderApp} returns: the first page, plus the site to open more pages on. */
export interface RenderedApp extends AppPage {
  readonly site: Site;
  /** The app's storage (`@forge/kvs`), with `dump()`, `inspect()` and `stats()`. */
  readonly kvs: KvsFetch;
  readonly manifest: AppManifest;
  /** Opens another page on the same site and storage: another tab, or another user's. */
  openPage(options?: { accountId?: string | null; modules?: string[] }): Promise<AppPage>;
  /** Closes every page and puts `__forge_fetch__` back. Runs after each test by itself under Jest. */
  close(): void;
}

const open = new Set<RenderedApp>();

/** Closes every app {@link renderApp} opened and not yet closed (registered with `afterEach` when there is one). */
export function cleanup(): void {
  for (const app of [...open]) app.close();
}

const register = (globalThis as { afterEach?: (fn: () => void) => void }).afterEach;
if (typeof register === 'function') register(cleanup);

/**
 * Renders a Forge app from its `manifest.yml` on the emulator: the chosen UI Kit modules in their
 * own realms with the real `@forge/bridge` and `@forge/react`, each module's resolver function
 * from `src/`, and storage (`@forge/kvs`) in memory with the manifest's `app.storage.entities`.
 * @example
 * const app = await renderApp({ manifest: 'manifest.yml', modules: ['background', 'feed'] });
 * await app.module('feed').click('Add');
 * await app.module('feed').waitForText('Card 1');
 */
export async function renderApp(options: RenderAppOptions = {}): Promise<RenderedApp> {
  const manifest = readManifest(options.manifest ?? 'manifest.yml');
  const timeoutMs = options.timeoutMs ?? 5000;
  let fatal: Error | undefined;
  const wakers = new Set<() => void>();
  const wake = () => [...wakers].forEach((w) => w());

  const kvs = createKvsFetch({ clock: options.clock, entities: manifest.entities });
  const forgeFetch = async (context: unknown, path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => {
    const response = await kvs(context, path, init);
    if (response.status === 400 && !fatal) {
      const body = (await response.clone().json().catch(() => undefined)) as { code?: string; message?: string } | undefined;
      if (body?.code === 'INVALID_ENTITY_TYPE') {
        const name = /Entity "([^"]+)"/.exec(body.message ?? '')?.[1] ?? '?';
        fatal = new Error(
          `[bgstore/testing] the app uses the storage entity '${name}', which ${manifest.file} does not declare. ` +
            `Add it under app.storage.entities (for bgstore: the 'bgstore-doc' entity shown in @bgstore/resolver's README), and the scope storage:app.`,
        );
        wake();
      }
    }
    return response;
  };
  const product = manifest.modules.some((m) => m.type.startsWith('jira:')) ? 'jira' : 'confluence';
  const site = createSite({ clock: options.clock, seed: options.seed, forgeFetch, product });
  const restoreFetch = site.installForgeFetch();

  const handlers = new Map<string, ResolverHandler>();
  for (const [key, handler] of Object.entries(options.resolvers ?? {})) handlers.set(key, handler as ResolverHandler);
  async function resolverFor(functionKey: string | undefined): Promise<ResolverHandler | undefined> {
    if (!functionKey) return undefined;
    if (!handlers.has(functionKey)) {
      const handler = manifest.functions.get(functionKey);
      if (!handler) throw new Error(`[bgstore/testing] ${manifest.file}: no function module '${functionKey}'`);
      const { file, exportName } = handlerLocation(manifest, handler);
      const loaded = (await loadModule(file)) as Record<string, unknown>;
      const fn = loaded[exportName];
      if (typeof fn !== 'function') throw new Error(`[bgstore/testing] ${file} does not export a function '${exportName}' (function '${functionKey}': handler ${handler})`);
      handlers.set(functionKey, fn as ResolverHandler);
    }
    return handlers.get(functionKey);
  }

  async function specsFor(keys: string[] | undefined): Promise<ModuleSpec[]> {
    const chosen = keys ?? manifest.modules.filter((m) => m.render === 'native').map((m) => m.key);
    const specs: ModuleSpec[] = [];
    for (const key of chosen) {
      const m = manifest.modules.find((x) => x.key === key);
      if (!m) throw new Error(`[bgstore/testing] ${manifest.file} has no UI module '${key}'; modules: ${manifest.modules.map((x) => x.key).join(', ')}`);
      if (m.render !== 'native') throw new Error(`[bgstore/testing] module '${key}' is Custom UI (resource ${m.entry}); renderApp runs UI Kit modules (a resource file with render: native)`);
      specs.push({ key: m.key, type: m.type, entry: m.entry, resolver: await resolverFor(m.resolverFunction), extension: options.extensions?.[m.key] });
    }
    return specs;
  }

  function waitFor<T>(assertion: () => T | Promise<T>, waitOptions: { timeoutMs?: number } = {}): Promise<T> {
    const limit = waitOptions.timeoutMs ?? timeoutMs;
    const started = Date.now();
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let running = false;
      let again = false;
      const done = () => {
        wakers.delete(attempt);
        if (timer) clearTimeout(timer);
      };
      const attempt = async () => {
        if (running) return void (again = true);
        running = true;
        let lastError: unknown;
        do {
          again = false;
          if (fatal) return done(), reject(fatal);
          try {
            const value = await assertion();
            return done(), resolve(value);
          } catch (error) {
            lastError = error;
          }
        } while (again);
        running = false;
        if (Date.now() - started >= limit) {
          done();
          const message = lastError instanceof Error ? lastError.message : String(lastError);
          reject(Object.assign(new Error(`[bgstore/testing] still failing after ${limit} ms: ${message}`), { cause: lastError }));
          return;
        }
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void attempt(), 20);
      };
      wakers.add(attempt);
      void attempt();
    });
  }

  const pages = new Set<Page>();
  async function openPage(pageOptions: { accountId?: string | null; modules?: string[] } = {}): Promise<AppPage> {
    const specs = await specsFor(pageOptions.modules ?? options.modules);
    const page = createPage({
      site,
      realm: createNodeRealm,
      modules: specs,
      accountId: pageOptions.accountId === undefined ? (options.accountId === undefined ? 'alice' : options.accountId) : pageOptions.accountId,
      onReconcile: wake,
    });
    pages.add(page);
    await page.start(specs.map((s) => s.key));
    const moduleOf = (key: string): AppModule => {
      const handle = page.module(key);
      const text = () => collapse(handle.text());
      return {
        key,
        type: handle.type,
        text,
        tree: () => handle.tree(),
        get errors() {
          return handle.errors;
        },
        click: (label) =>
          waitFor(() => {
            const tree = handle.tree();
            const button = tree && findButton(tree, label);
            if (!button) throw new Error(`module '${key}' shows no Button labelled ${String(label)}; it shows: ${text() || '(nothing)'}`);
            if (button.props.isDisabled === true) throw new Error(`module '${key}': Button ${String(label)} is disabled`);
            return tree;
          }).then((tree) => clickIn(tree, label)),
        waitForText: (expected) =>
          waitFor(() => {
            const shown = text();
            const ok = typeof expected === 'string' ? shown.includes(collapse(expected)) : expected.test(shown);
            if (!ok) throw new Error(`module '${key}' does not show ${typeof expected === 'string' ? JSON.stringify(expected) : String(expected)}; it shows: ${shown || '(nothing)'}`);
          }),
      };
    };
    return {
      page,
      module: moduleOf,
      waitFor,
      close: () => {
        page.close();
        pages.delete(page);
      },
    };
  }

  let first: AppPage;
  try {
    first = await openPage();
  } catch (error) {
    for (const page of pages) page.close();
    restoreFetch();
    throw error;
  }
  let closed = false;
  const app: RenderedApp = {
    ...first,
    site,
    kvs,
    manifest,
    openPage,
    close() {
      if (closed) return;
      closed = true;
      for (const page of pages) page.close();
      pages.clear();
      wakers.clear();
      restoreFetch();
      open.delete(app);
    },
  };
  open.add(app);
  return app;
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

// The CommonJS module object this file runs in, if any (Jest gives its own, whose `require` runs
// the test transform). Read through `typeof`, so the ES module build sees `undefined`.
declare const module: { require?: (id: string) => unknown } | undefined;

async function loadModule(file: string): Promise<unknown> {
  // Under Jest (and any CommonJS runner) `require` goes through the runner's transform, so a
  // TypeScript handler loads as the app's tests see it; in an ES module, a native import.
  if (typeof module !== 'undefined' && typeof module.require === 'function') return module.require(file);
  return import(pathToFileURL(file).href);
}
