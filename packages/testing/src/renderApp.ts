import { createKvsFetch, createPage, createSite, routeForgeFetch, type Clock, type KvsFetch, type ModuleSpec, type Page, type Site, type SqlFetch } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { openAppPage, type AppPage } from './appPage';
import { openForgeSql } from './forgeSql';
import { readManifest, type AppManifest } from './manifest';
import { createModuleLog } from './moduleLog';
import { createResolverLoader } from './loaders';
import { createWaits } from './waits';

/** Options of {@link renderApp}. */
export interface RenderAppOptions {
  /** Path of the app's `manifest.yml`, relative to the current directory. @default 'manifest.yml' */
  manifest?: string;
  /**
   * Keys of the manifest modules to put on the page, started in this order (any order works with
   * bgstore). @default every module with a UI Kit resource, in manifest order
   */
  modules?: string[];
  /** The viewer (`context.accountId` in the resolver); `null` for an anonymous user. @default 'alice' */
  accountId?: string | null;
  /**
   * Resolver handlers by `function` key, instead of loading `src/<file>` from each function's
   * `handler` (which needs a runner that loads TypeScript, such as Jest).
   */
  resolvers?: Record<string, unknown>;
  /** Extra extension context by module key, e.g. `{ byline: { content: { id: '42', type: 'page' } } }`. */
  extensions?: Record<string, Record<string, unknown>>;
  /**
   * How long waits (`waitFor`, `waitForText`, `click`) wait before failing. Under Jest a wait also
   * ends 250 ms before the test's own timeout, so the kit's message is the one you read.
   * @default under Jest, until 250 ms before the test's timeout (the one hang guard: a slow machine
   * only makes a wait longer); elsewhere 5000
   */
  timeoutMs?: number;
  /** The emulator's clock. Waits poll in real time, so pass a manual clock only if you drive time yourself. @default the real clock */
  clock?: Clock;
  /** Seed of the emulator's random choices. @default 1 */
  seed?: number;
  /**
   * Serve Forge SQL (`@forge/sql`, its `migrationRunner`) from a real MariaDB: a private server per
   * test file, a fresh database per app. Needs MariaDB installed and `mysql2` (a dev dependency);
   * see `forgeSqlUnavailable()` to skip where it is missing. @default whether the manifest declares
   * a `sql` module
   */
  sql?: boolean;
}

/** Options of {@link RenderedApp.openPage}. */
export interface OpenPageOptions {
  /** The page's user; `null` for an anonymous one. @default renderApp's `accountId` ('alice') */
  accountId?: string | null;
  /** Module keys to start, in this order. @default renderApp's `modules` (every UI Kit module) */
  modules?: string[];
}

/** What {@link renderApp} returns: the first page, plus the site to open more pages on. */
export interface RenderedApp extends AppPage {
  readonly site: Site;
  /** The app's storage (`@forge/kvs`), with `dump()`, `inspect()` and `stats()`. */
  readonly kvs: KvsFetch;
  /** The app's Forge SQL, with `stats()` and its database (`executor`); undefined without SQL (see `sql`). */
  readonly sql: SqlFetch | undefined;
  readonly manifest: AppManifest;
  /**
   * Opens another page on the same site and storage: another tab, or another user's. Throws once
   * the app is closed (storage is gone then).
   */
  openPage(options?: OpenPageOptions): Promise<AppPage>;
  /**
   * Closes every page the app opened (their modules, timers and replicas), fails pending waits,
   * and puts `__forge_fetch__` back. Runs after each test by itself under Jest.
   */
  close(): void;
}

const open = new Set<RenderedApp>();
/** Apps on Forge SQL rendered by this process (each its own installation). */
let sqlApps = 0;

/** Closes every app {@link renderApp} opened and not yet closed (registered with `afterEach` when there is one). */
export function cleanup(): void {
  for (const app of [...open]) app.close();
}

const register = (globalThis as { afterEach?: (fn: () => void) => void }).afterEach;
if (typeof register === 'function') register(cleanup);

/**
 * Renders a Forge app from its `manifest.yml` on the emulator: the chosen UI Kit modules in their
 * own realms with the real `@forge/bridge` and `@forge/react`, each module's resolver function
 * from `src/`, and storage (`@forge/kvs`) in memory with the manifest's `app.storage.entities` —
 * and Forge SQL (`@forge/sql`) on a real MariaDB when the manifest declares a `sql` module.
 * @example
 * const app = await renderApp({ manifest: 'manifest.yml', modules: ['background', 'feed'] });
 * await app.module('feed').click('Add');
 * await app.module('feed').waitForText('Card 1');
 */
export async function renderApp(options: RenderAppOptions = {}): Promise<RenderedApp> {
  const manifest = readManifest(options.manifest ?? 'manifest.yml');
  let entityError: Error | undefined;
  let closed = false;
  const pages = new Set<AppPage>();
  // Every emulator page started, with its module keys: closed with the app (closing twice is harmless).
  const emulatorPages = new Map<Page, string[]>();
  const log = createModuleLog(() => waits.wake());
  const waits = createWaits({
    timeoutMs: options.timeoutMs,
    fatal: () => entityError ?? log.fatal(),
    diagnostics: () => log.describe() + moduleErrors(emulatorPages),
  });

  const kvs = createKvsFetch({ clock: options.clock, entities: manifest.entities });
  const sql = (options.sql ?? manifest.sql) ? await openForgeSql(manifest.file, options.clock) : undefined;
  const kvsFetch = async (context: unknown, path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => {
    const response = await kvs(context, path, init);
    if (response.status === 400 && !entityError) {
      const body = (await response.clone().json().catch(() => undefined)) as { code?: string; message?: string } | undefined;
      if (body?.code === 'INVALID_ENTITY_TYPE') {
        const name = /Entity "([^"]+)"/.exec(body.message ?? '')?.[1] ?? '?';
        entityError = new Error(
          `[bgstore/testing] the app uses the storage entity '${name}', which ${manifest.file} does not declare. ` +
            `Add it under app.storage.entities (for bgstore: the 'bgstore-doc' entity shown in @bgstore/resolver's README), and the scope storage:app.`,
        );
        waits.wake();
      }
    }
    return response;
  };
  const forgeFetch = routeForgeFetch({ kvs: kvsFetch, sql });
  const product = manifest.modules.some((m) => m.type.startsWith('jira:')) ? 'jira' : 'confluence';
  // Each app on Forge SQL has a fresh database: a fresh installation, so what a function instance
  // keeps of another app's documents (per installation) is not taken for this one's.
  const site = createSite({ clock: options.clock, seed: options.seed, forgeFetch, product, ...(sql ? { installationId: `emulated-installation-sql-${++sqlApps}` } : {}) });
  const restoreFetch = site.installForgeFetch();
  const resolverFor = createResolverLoader(manifest, options.resolvers);

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

  const assertOpen = (call: string) => {
    if (closed) throw new Error(`[bgstore/testing] ${call}: this app is closed (app.close(), or its test ended), and its storage with it; call renderApp() again for a new one`);
  };

  async function startPage(accountId: string | null, specs: ModuleSpec[]): Promise<Page> {
    assertOpen('opening a page');
    const who = accountId ?? 'anonymous';
    const page = createPage({
      site,
      realm: createNodeRealm,
      modules: specs.map((s) => ({ ...s, globals: { ...s.globals, console: log.consoleFor(`${who}/${s.key}`) } })),
      accountId,
      onReconcile: () => waits.wake(),
    });
    emulatorPages.set(page, specs.map((s) => s.key));
    try {
      await page.start(specs.map((s) => s.key));
    } catch (error) {
      page.close();
      throw error;
    }
    // The app closed while the modules started: nothing may keep running.
    if (closed) page.close();
    assertOpen('opening a page');
    return page;
  }

  async function openPage(pageOptions: OpenPageOptions = {}): Promise<AppPage> {
    assertOpen('app.openPage()');
    const specs = await specsFor(pageOptions.modules ?? options.modules);
    const accountId = pageOptions.accountId !== undefined ? pageOptions.accountId : options.accountId !== undefined ? options.accountId : 'alice';
    const page = await openAppPage({ accountId, specs, waits, start: startPage, onClose: (p) => pages.delete(p) });
    pages.add(page);
    return page;
  }

  function close() {
    if (closed) return;
    closed = true;
    for (const page of [...pages]) page.close();
    for (const page of emulatorPages.keys()) page.close();
    waits.stop(new Error('[bgstore/testing] the app was closed while this wait ran (app.close(), or its test ended)'));
    restoreFetch();
    void sql?.executor.close();
    if (made.app) open.delete(made.app);
  }

  // Set once the app exists: close() may run before (when the first page fails to open).
  const made: { app?: RenderedApp } = {};
  let first: AppPage;
  try {
    first = await openPage();
  } catch (error) {
    close();
    throw error;
  }
  const app: RenderedApp = {
    get page() {
      return first.page;
    },
    accountId: first.accountId,
    module: first.module,
    waitFor: first.waitFor,
    connect: first.connect,
    reload: first.reload,
    site,
    kvs,
    sql,
    manifest,
    openPage,
    close,
  };
  made.app = app;
  open.add(app);
  return app;
}

/** Errors the modules of the open pages raised, as lines to append to a failure. */
function moduleErrors(pages: Map<Page, string[]>): string {
  const lines: string[] = [];
  for (const [page, keys] of pages) {
    for (const key of keys) {
      for (const error of page.module(key).errors.slice(-3)) lines.push(`\n  ${page.id}/${key} raised: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return lines.length ? `\nThe app's modules raised:${lines.join('')}` : '';
}
