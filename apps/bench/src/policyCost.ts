// What a server policy costs a commit (#21): the real resolver (registerStores on @forge/resolver,
// the emulator's KVS) with no policy, a sync `authorize`, and an async one whose check is a
// simulated product REST call ("is this user a member of the space") of 50 ms — on real timers in
// the bench, on the emulator's clock in the test (policyCost.test.ts). The async check is asked
// through `authorize`'s `once` (at most once per commit, as the poll template does) or, to show what
// that saves, once per `authorize` call. Time per commit and calls per commit, at 1 and 10
// distinct intents per commit, each commit from one of three callers by rotation (Realtime off: not priced here).
import Resolver from '@forge/resolver';
import { defineStore } from '@bgstore/core';
import { createKvsFetch } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS } from '@bgstore/protocol';
import { DOC_ENTITY_DECLARATION, registerStores, type StoreContext, type StorePolicy } from '@bgstore/resolver';

export const POLICY_KINDS = ['none', 'sync', 'async', 'async-per-intent'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

const poll = defineStore({
  name: 'poll',
  initialState: { votes: {} as Record<string, string> },
  actions: {
    vote(draft, option: string) {
      if (this.caller.accountId) draft.votes[this.caller.accountId] = option;
    },
  },
});

const CALLERS = ['alice', 'bob', 'carol'];

export interface PolicyCostOptions {
  kind: PolicyKind;
  intentsPerCommit: number;
  commits: number;
  /** The product call the async policy makes; `call` is the caller it asks about. */
  productCall: (accountId: string) => Promise<boolean>;
  /** Measures `policyTimeoutMs` (the emulator's clock in tests). @default the system clock */
  clock?: { now(): number; setTimeout(fn: () => void, ms: number): unknown };
  /** Lets a commit's answer come (the test advances the emulator's clock here). @default awaits it */
  settle?: <T>(answer: Promise<T>) => Promise<T>;
}

export interface PolicyCostFigures {
  msPerCommit: number;
  authorizeCallsPerCommit: number;
  productCallsPerCommit: number;
  /** The most product calls any one caller's commit made. */
  maxProductCallsPerCallerCommit: number;
  /** Intents refused, of all (none should be). */
  refused: number;
}

function policyFor(kind: PolicyKind, counts: { authorize: number; product: number }, productCall: (accountId: string) => Promise<boolean>): StorePolicy<typeof poll> | undefined {
  const ask = (ctx: StoreContext) => {
    counts.product++;
    return productCall(ctx.accountId ?? '');
  };
  const refusal = 'only space members vote';
  switch (kind) {
    case 'none':
      return undefined;
    case 'sync':
      return { authorize: (ctx, intent) => (counts.authorize++, (CALLERS.includes(ctx.accountId ?? '') && intent.args[0].length < 64) || refusal) };
    case 'async':
      return { authorize: async (ctx, _intent, { once }) => (counts.authorize++, (await once('member', () => ask(ctx))) || refusal) };
    case 'async-per-intent':
      return { authorize: async (ctx) => (counts.authorize++, (await ask(ctx)) || refusal) };
  }
}

/** Runs `commits` commits of `intentsPerCommit` distinct votes through the resolver with a `kind` policy. */
export async function policyCost(o: PolicyCostOptions): Promise<PolicyCostFigures> {
  const counts = { authorize: 0, product: 0 };
  const policy = policyFor(o.kind, counts, o.productCall);
  (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never] });
  const resolver = new Resolver();
  registerStores(resolver, [poll], { realtime: false, ...(policy ? { policies: { poll: policy } } : {}), ...(o.clock ? { clock: o.clock } : {}) });
  const handler = resolver.getDefinitions() as unknown as (event: unknown, runtime: unknown) => Promise<{ revision?: number; outcomes?: { ok: boolean }[] }>;
  const settle = o.settle ?? (<T>(answer: Promise<T>) => answer);
  let revision = 0;
  let refused = 0;
  let maxPerCommit = 0;
  let ms = 0;
  for (let n = 0; n < o.commits; n++) {
    const accountId = CALLERS[n % CALLERS.length]!;
    const intents = Array.from({ length: o.intentsPerCommit }, (_, k) => ({ clientId: `page-${accountId}`, seq: Math.floor(n / CALLERS.length) * o.intentsPerCommit + k + 1, name: 'vote', args: [`option-${k}`] }));
    const before = counts.product;
    const started = performance.now();
    const answer = await settle(handler({ call: { functionKey: RESOLVER_FUNCTIONS.commit, payload: { store: 'poll', baseRevision: revision, intents } }, context: {} }, { installContext: 'bench', principal: { accountId } }));
    ms += performance.now() - started;
    maxPerCommit = Math.max(maxPerCommit, counts.product - before);
    if (typeof answer.revision !== 'number') throw new Error(`[bench] a commit failed: ${JSON.stringify(answer).slice(0, 300)}`);
    revision = answer.revision;
    refused += (answer.outcomes ?? []).filter((x) => !x.ok).length;
  }
  return { msPerCommit: ms / o.commits, authorizeCallsPerCommit: counts.authorize / o.commits, productCallsPerCommit: counts.product / o.commits, maxProductCallsPerCallerCommit: maxPerCommit, refused };
}

/** The bench's rows: each policy at 1 and 10 intents per commit, the product call a real 50 ms timer. */
export async function policyCostScenarios(quick: boolean): Promise<{ kind: PolicyKind; intents: number; figures: PolicyCostFigures }[]> {
  const productCall = (accountId: string) => new Promise<boolean>((resolve) => setTimeout(() => resolve(CALLERS.includes(accountId)), 50));
  const rows = [];
  for (const intents of [1, 10]) {
    for (const kind of POLICY_KINDS) {
      // Warm the resolver's code paths once, then measure.
      await policyCost({ kind, intentsPerCommit: intents, commits: 3, productCall });
      rows.push({ kind, intents, figures: await policyCost({ kind, intentsPerCommit: intents, commits: quick ? 10 : 30, productCall }) });
    }
  }
  return rows;
}
