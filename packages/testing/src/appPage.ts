import type { ActionRecipes, Replica, ReplicaOptions, StoreDefinition } from '@bgstore/core';
import { click as clickIn, findButton, type BusMember, type ForgeDoc, type ModuleSpec, type Page } from '@bgstore/emulator';
import { loadCore } from './loaders';
import type { Waits } from './waits';

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

/** Options of {@link AppPage.connect}: a replica's, less what the page gives it. */
export type TestReplicaOptions = Omit<ReplicaOptions, 'transport' | 'clock'>;

/** A page of the app: one user's tab with the chosen modules. */
export interface AppPage {
  /** The emulator's page (after {@link AppPage.reload}, the new one). */
  readonly page: Page;
  /** The page's user; `null` when anonymous. */
  readonly accountId: string | null;
  /**
   * A module of the page. Handles stay valid across {@link AppPage.reload}: they read the module
   * of the current page.
   */
  module(key: string): AppModule;
  /**
   * Retries `assertion` until it stops throwing (re-run after every render and every 20 ms), and
   * returns its result; fails with its last error, and what the modules logged, after `timeoutMs`
   * (cut to end before the test runner's own timeout), or at once on a setup error such as a
   * storage entity missing from the manifest or a host that cannot load.
   * @example await app.waitFor(() => expect(app.module('feed').text()).toContain('Saved'));
   */
  waitFor<T>(assertion: () => T | Promise<T>, options?: { timeoutMs?: number }): Promise<T>;
  /**
   * A bgstore replica of `definition` on this page's event bus, as another module of the page
   * would have: its actions go to the page's background script, which commits them through the
   * app's real resolver function as this page's user. Call actions with any arguments — the way to
   * test that the server refuses a forged one. Closed with the page.
   * @example
   * const mallory = await app.openPage({ accountId: 'mallory', modules: ['poll-background'] });
   * await expect(mallory.connect(poll).actions.vote('alice', 'Tea')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
   */
  connect<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options?: TestReplicaOptions): Replica<TState, TActions>;
  /**
   * Reloads the page: its modules stop (unsaved work is lost, as in a browser) and start again,
   * fresh, for the same user, in the same order; replicas from {@link AppPage.connect} close.
   * Resolves once the modules have started.
   */
  reload(): Promise<void>;
  /** Stops the page's modules and replicas. */
  close(): void;
}

/** What an app page needs from the app that opens it. */
export interface PageSetup {
  accountId: string | null;
  specs: ModuleSpec[];
  waits: Waits;
  /** Makes and starts an emulator page with the modules. */
  start(accountId: string | null, specs: ModuleSpec[]): Promise<Page>;
  /** Forgets the page (the app closes the pages it knows). */
  onClose(page: AppPage): void;
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();
let replicaCount = 0;

/** Opens one page of the app and wraps it in the kit's API. */
export async function openAppPage(setup: PageSetup): Promise<AppPage> {
  const { waits, specs } = setup;
  let page = await setup.start(setup.accountId, specs);
  const replicas = new Set<{ close(): void }>();
  let closed = false;

  const closeReplicas = () => {
    for (const r of replicas) r.close();
    replicas.clear();
  };

  const moduleOf = (key: string): AppModule => {
    const handle = () => page.module(key);
    const text = () => collapse(handle().text());
    const type = handle().type;
    return {
      key,
      type,
      text,
      tree: () => handle().tree(),
      get errors() {
        return handle().errors;
      },
      click: (label) =>
        waits
          .waitFor(() => {
            const tree = handle().tree();
            const button = tree && findButton(tree, label);
            if (!button) throw new Error(`module '${key}' shows no Button labelled ${String(label)}; it shows: ${text() || '(nothing)'}`);
            if (button.props.isDisabled === true) throw new Error(`module '${key}': Button ${String(label)} is disabled`);
            return tree;
          })
          .then((tree) => clickIn(tree, label)),
      waitForText: (expected) =>
        waits.waitFor(() => {
          const shown = text();
          const ok = typeof expected === 'string' ? shown.includes(collapse(expected)) : expected.test(shown);
          if (!ok) throw new Error(`module '${key}' does not show ${typeof expected === 'string' ? JSON.stringify(expected) : String(expected)}; it shows: ${shown || '(nothing)'}`);
        }),
    };
  };

  const appPage: AppPage = {
    get page() {
      return page;
    },
    accountId: setup.accountId,
    module: moduleOf,
    waitFor: (assertion, options) => waits.waitFor(assertion, options),
    connect(definition, options = {}) {
      if (closed) throw new Error('[bgstore/testing] connect(): this page is closed');
      const member: BusMember = { id: `${page.id}/bgstore-testing-replica#${++replicaCount}`, moduleKey: 'bgstore-testing-replica', appId: page.site.appId };
      const bus = page.bus;
      const replica = loadCore().createReplica(definition, {
        ...options,
        clock: page.site.clock,
        transport: {
          emit: (event, payload) => bus.emit(member, event, payload),
          on: (event, handler) => bus.subscribe(member, event, handler),
        },
      });
      replicas.add({
        close: () => {
          replica.close();
          bus.removeMember(member.id);
        },
      });
      return replica;
    },
    async reload() {
      if (closed) throw new Error('[bgstore/testing] reload(): this page is closed');
      closeReplicas();
      page.close();
      page = await setup.start(setup.accountId, specs);
    },
    close() {
      if (closed) return;
      closed = true;
      closeReplicas();
      page.close();
      setup.onClose(appPage);
    },
  };
  return appPage;
}
