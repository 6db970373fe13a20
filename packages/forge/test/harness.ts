// Pages of the example board on one emulated site, with the real @forge/resolver and @forge/kvs,
// a manual clock, and a count of each resolver function's invocations per account.
import Resolver from '@forge/resolver';
import { createInvokeFaults, createKvsFaults, createKvsFetch, createManualClock, createPage, createRandom, createSite, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import type { Host, Replica } from '@bgstore/core';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { RESOLVER_FUNCTIONS } from '@bgstore/protocol';
import { board } from './modules/store';

export type Board = typeof board;
const BG = require.resolve('./modules/durableBackground.ts');
const FEED = require.resolve('./modules/feed.ts');

/** A site with the board's resolver; `open` makes a page (a background script and a feed) for an account. */
export function setup(seed: number, faults = false, hostOptions?: object, entities: unknown[] = [DOC_ENTITY_DECLARATION]) {
  const clock = createManualClock();
  const kvs = createKvsFetch({ entities: entities as never, clock, faults: faults ? createKvsFaults({ seed, failRate: 0.1, rateLimitRate: 0.05, lostResponseRate: 0.1 }) : undefined });
  const site = createSite({ clock, seed, forgeFetch: kvs });
  const restore = site.installForgeFetch();
  const resolver = new Resolver();
  registerStores(resolver, [board], { retryDelayMs: 0, now: () => clock.now() });
  const definitions = resolver.getDefinitions() as unknown as NonNullable<ModuleSpec['resolver']>;
  // Invocations per "accountId functionKey": what a page costs the installation's quotas.
  const invocations = new Map<string, number>();
  const invoked: { key: string; at: number; payload: unknown }[] = [];
  const handler: ModuleSpec['resolver'] = (event, runtime) => {
    const key = `${runtime.principal?.accountId ?? String(event.context.accountId)} ${event.call.functionKey}`;
    invocations.set(key, (invocations.get(key) ?? 0) + 1);
    invoked.push({ key, at: clock.now(), payload: event.call.payload });
    return definitions(event, runtime);
  };
  const modules: ModuleSpec[] = [
    { key: 'bg', type: 'confluence:backgroundScript', entry: BG, resolver: handler, globals: { __hostOptions: hostOptions } },
    { key: 'feed', type: 'confluence:homepageFeed', entry: FEED, resolver: handler },
  ];
  const pages: Page[] = [];
  const open = (accountId = 'user-1') => {
    const page = createPage({
      site,
      realm: createNodeRealm,
      modules,
      accountId,
      invoke: faults ? { faults: createInvokeFaults(createRandom(seed + pages.length), { failRate: 0.1, loseRate: 0.1, latencyMs: [5, 60] }) } : undefined,
    });
    pages.push(page);
    return page;
  };
  const stored = async (extra: Record<string, unknown> = {}) =>
    (await handler!({ call: { functionKey: RESOLVER_FUNCTIONS.load, payload: { store: 'board', ...extra } }, context: {} }, { installContext: site.installContext, principal: { accountId: 'reader' } })) as { revision: number; state: Board['initialState']; realtime?: { channel: string; token: string } };
  return { clock, kvs, site, open, pages, stored, invocations, invoked, close: () => (pages.forEach((p) => p.close()), restore()) };
}

/** The page's host. */
export const host = (p: Page) => (p.module('bg').exports as { host: Host<Board['initialState'], Board['actions']> }).host;
/** The page's feed replica. */
export const feed = (p: Page) => (p.module('feed').exports as { replica: Replica<Board['initialState'], Board['actions']> }).replica;

