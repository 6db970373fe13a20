// Many writers on one store: N pages (each a background-script host with invoke persistence) on one
// site-scoped store, each saving one action a second, through the real resolver on the emulator's
// KVS, with every KVS call taking 40±20 ms and every invoke adding 80±20 ms.
import { createHost, defineStore } from '@bgstore/core';
import { createRandom } from '@bgstore/emulator';
import { createInvokePersistence } from '@bgstore/forge';
import { createResolverWorld } from './resolverWorld';

export interface ContentionFigures {
  pages: number;
  offered: number;
  /** Actions stored by the end of the run plus 3 s, over those offered. */
  savedInTime: number;
  /** Time from the action to its commit's answer, ms; an action never stored counts as the whole wait. */
  p50: number;
  p99: number;
  /** Commit answers that were errors (the host retries them). */
  failedCommits: number;
  commits: number;
  kvsCallsPerAction: number;
}

const counter = defineStore({
  name: 'contention',
  initialState: { counts: {} as Record<string, number>, last: '' },
  actions: {
    add: (draft, page: string, token: string) => {
      draft.counts[page] = (draft.counts[page] ?? 0) + 1;
      draft.last = token;
    },
  },
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const noTransport = { emit: () => undefined, on: () => () => undefined };

/** Where the pages' commits go: the resolver over some storage, and that storage's call count. */
export interface ContentionWorld {
  call(functionKey: string, payload: Record<string, unknown>, accountId?: string): Promise<Record<string, unknown>>;
  resetStats(): void;
  calls(): number;
}

/** The store the pages write to, for a world on other storage. */
export const contentionStore = counter;

export async function contention(pages: number, seconds: number, seed = 1, onStorage?: ContentionWorld): Promise<ContentionFigures> {
  const kvsWorld = onStorage ? undefined : createResolverWorld([counter], { kvsLatencyMs: [20, 60], seed });
  const world: ContentionWorld = onStorage ?? { call: kvsWorld!.call, resetStats: () => kvsWorld!.kvs.resetStats(), calls: () => kvsWorld!.kvs.stats().calls };
  const random = createRandom(seed);
  const issued = new Map<string, number>();
  const saved = new Map<string, number>();
  let failedCommits = 0;
  let commits = 0;
  const hosts = await Promise.all(
    Array.from({ length: pages }, async (_, p) => {
      const invoke = async (functionKey: string, payload: Record<string, unknown>) => {
        await sleep(30 + random.next() * 20);
        const answer = await world.call(functionKey, payload, `user-${p}`);
        await sleep(30 + random.next() * 20);
        if (functionKey === 'bgstore.commit') {
          commits++;
          if ('error' in answer) failedCommits++;
          const intents = payload.intents as { clientId: string; seq: number; args: unknown[] }[];
          const outcomes = (answer.outcomes ?? []) as { clientId: string; seq: number; ok: boolean }[];
          for (const o of outcomes) {
            const token = intents.find((i) => i.clientId === o.clientId && i.seq === o.seq)?.args[1];
            if (o.ok && typeof token === 'string' && !saved.has(token)) saved.set(token, performance.now());
          }
        }
        return answer;
      };
      const host = createHost(counter, { transport: noTransport, persistence: createInvokePersistence(counter, { invoke }), heartbeatMs: 60_000, revisionCheckMs: 0 });
      await host.ready;
      return host;
    }),
  );
  world.resetStats();
  const start = performance.now();
  const runs = hosts.map(async (host, p) => {
    await sleep(random.next() * 1000);
    for (let k = 0; k < seconds; k++) {
      const token = `p${p}-${k}`;
      issued.set(token, performance.now());
      void host.actions.add(`p${p}`, token);
      await sleep(Math.max(0, start + (k + 1) * 1000 + random.next() * 50 - performance.now()));
    }
  });
  await Promise.all(runs);
  const end = performance.now();
  // Wait for the rest, up to 30 s.
  while (saved.size < issued.size && performance.now() - end < 30_000) await sleep(100);
  const stop = performance.now();
  hosts.forEach((h) => h.close());
  const latencies = [...issued].map(([token, at]) => (saved.get(token) ?? stop) - at).sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const inTime = [...saved.values()].filter((t) => t <= end + 3000).length;
  return {
    pages,
    offered: issued.size,
    savedInTime: inTime / issued.size,
    p50: pct(0.5),
    p99: pct(0.99),
    failedCommits,
    commits,
    kvsCallsPerAction: world.calls() / Math.max(1, saved.size),
  };
}
