// What the Forge SQL bench scenarios measure beyond the emulator's own stats (#19): requests by
// statement and how the log INSERTs ended, requests a second, what the pages' commits were answered,
// and what the stored state holds against those answers.
import type { SqlExecutor } from '@bgstore/emulator';
import { contentionStore } from './contention';

/** What each request did, by its statement: the shape of a save's requests. */
export const STATEMENTS: [string, RegExp][] = [
  ['reads', /^SELECT/],
  ['log_inserts', /^INSERT INTO bgstore_log/],
  ['inbox_posts', /^INSERT IGNORE INTO bgstore_inbox/],
  ['deletes', /^DELETE/],
];

export type Call = (functionKey: string, payload: Record<string, unknown>, accountId?: string) => Promise<Record<string, unknown>>;

/**
 * What the database did with each kind of statement (see STATEMENTS): how the log INSERTs ended
 * (`rows=1` inserted, `rows=2` left a batch on the row that won, `rows=0` neither, `errno=…` refused)
 * and the server's time, to tell where commits go when few of them win.
 */
export function watchedExecutor(executor: SqlExecutor) {
  const outcomes = new Map<string, number>();
  const serverMs = new Map<string, number>();
  const count = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
  const watched: SqlExecutor = {
    ...executor,
    async run(query, params, options) {
      const kind = STATEMENTS.find(([, re]) => re.test(query))?.[0] ?? 'other';
      const started = performance.now();
      try {
        const out = await executor.run(query, params, options);
        if (kind === 'log_inserts' && 'summary' in out) count(outcomes, `rows=${out.summary.affectedRows}`);
        count(outcomes, `${kind}`);
        if (out.ms !== undefined) count(serverMs, `${kind}(server)`, out.ms);
        return out;
      } catch (error) {
        if (kind === 'log_inserts') count(outcomes, `errno=${String((error as { errno?: unknown }).errno)}`);
        throw error;
      } finally {
        count(serverMs, kind, performance.now() - started);
      }
    },
  };
  const reset = () => {
    outcomes.clear();
    serverMs.clear();
  };
  return { executor: watched, outcomes, serverMs, reset };
}

/** What the pages' commit invocations met: how long each took in the resolver, and what each answered. */
export function watchCommits(call: Call) {
  const ms: number[] = [];
  const errors = new Map<string, number>();
  /** Tokens (see `contention`) whose action a commit answered as stored, by page. */
  const saved = new Map<string, Set<string>>();
  let inFlight = 0;
  const watched: Call = async (functionKey, payload, accountId) => {
    const started = performance.now();
    inFlight++;
    const answer = await call(functionKey, payload, accountId).finally(() => inFlight--);
    if (functionKey !== 'bgstore.commit') return answer;
    ms.push(performance.now() - started);
    const code = (answer.error as { code?: string } | undefined)?.code;
    if (code) errors.set(code, (errors.get(code) ?? 0) + 1);
    const intents = payload.intents as { clientId: string; seq: number; args: [string, string] }[];
    for (const o of (answer.outcomes ?? []) as { clientId: string; seq: number; ok: boolean }[]) {
      const args = intents.find((i) => i.clientId === o.clientId && i.seq === o.seq)?.args;
      if (o.ok && args) saved.set(args[0], (saved.get(args[0]) ?? new Set()).add(args[1]));
    }
    return answer;
  };
  const pct = (q: number) => [...ms].sort((x, y) => x - y)[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  return { call: watched, errors, saved, inFlight: () => inFlight, resolverMs: { p50: () => pct(0.5), p99: () => pct(0.99) } };
}

/**
 * Counted in the stored state, per page: actions stored more than the page offered (doubled),
 * actions answered as stored yet absent (lost) — both must be 0 — and actions stored whose page
 * never heard so (its commit's answer was an error, or came after the run).
 */
export async function storedCounts(call: Call, answered: Map<string, Set<string>>, offered: number, inFlight: () => number) {
  // Invocations still running when the pages closed (a batch waiting out its budget) may store and
  // answer while the load reads: wait for them (a minute at most), and count only answers that came
  // before the load began, so a late answer is never taken for a lost action.
  for (let i = 0; i < 600 && inFlight() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const saved = new Map([...answered].map(([page, tokens]) => [page, new Set(tokens)]));
  // The load may meet the quota's window still full, or commits still landing: try until it answers.
  let loaded = await call('bgstore.load', { store: contentionStore.name });
  for (let i = 0; i < 20 && 'error' in loaded; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    loaded = await call('bgstore.load', { store: contentionStore.name });
  }
  if ('error' in loaded) throw new Error(`[bench] the final SQL load failed: ${JSON.stringify(loaded.error)}`);
  const counts = ((loaded.state as { counts?: Record<string, number> } | undefined)?.counts ?? {}) as Record<string, number>;
  let doubled = 0;
  let lost = 0;
  let unconfirmed = 0;
  for (const page of new Set([...Object.keys(counts), ...saved.keys()])) {
    const stored = counts[page] ?? 0;
    const answered = saved.get(page)?.size ?? 0;
    doubled += Math.max(0, stored - offered);
    lost += Math.max(0, answered - stored);
    unconfirmed += Math.max(0, Math.min(stored, offered) - answered);
  }
  return { doubled, lost, unconfirmed };
}

/** Requests a second over the load's seconds: all, and writes only (the two readings of 150 DML requests a second). */
export function perSecond() {
  const all: number[] = [];
  const writes: number[] = [];
  let t0 = performance.now();
  const count = (query: string) => {
    const s = Math.floor((performance.now() - t0) / 1000);
    all[s] = (all[s] ?? 0) + 1;
    if (!/^SELECT/.test(query)) writes[s] = (writes[s] ?? 0) + 1;
  };
  const mean = (xs: number[], seconds: number) => Array.from({ length: seconds }, (_, i) => xs[i] ?? 0).reduce((a, b) => a + b, 0) / seconds;
  return {
    count,
    reset: () => ((t0 = performance.now()), (all.length = 0), (writes.length = 0)),
    mean: (seconds: number) => ({ all: mean(all, seconds), writes: mean(writes, seconds) }),
    elapsedMs: () => performance.now() - t0,
  };
}

