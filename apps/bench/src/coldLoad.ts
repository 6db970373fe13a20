// Cold page loads in KVS read units (Forge's 10 KB units, each request rounded up, as the emulator's
// quota meter bills a read: its answer's bytes), over one log cycle, on the bench's regular board
// and a less regular one (random ids and titles, seeded) — and the bytes the document occupies.
// `node … src/coldLoad.ts` prints the table; not asserted (figures, not tests).
import { brotliCompressSync, constants } from 'node:zlib';
import Resolver from '@forge/resolver';
import { defineStore } from '@bgstore/core';
import { createKvsFetch } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION, registerStores, RESOLVER_FUNCTIONS as F } from '@bgstore/resolver';
import { COMPACT_ABOVE, irregularState } from './irregularBoard';

const UNIT = 10_240;
const toggle = (draft: { items: { done: boolean }[] }, i: number) => void (draft.items[i] && (draft.items[i].done = !draft.items[i].done));
/** Random ids and titles (seeded): compresses less well than `item-N`. */
function irregularBoard(items: number, seed = 1) {
  return defineStore({ name: 'bench', initialState: irregularState(items, seed) as { items: { id: string; done: boolean }[]; meta: { title: string } }, actions: { toggle } });
}

/** The bench's board (`item-N`, `Item number N`; ids and `done` only above 50,000 items, as the bench's storage section). */
function benchBoard(items: number) {
  const item = (i: number) => (items > COMPACT_ABOVE ? { id: i, done: false } : { id: `item-${i}`, title: `Item number ${i}`, done: false });
  return defineStore({ name: 'bench', initialState: { items: Array.from({ length: items }, (_, i) => item(i)), meta: { title: 'Bench board' } }, actions: { toggle } });
}

type Handler = (event: unknown, runtime: unknown) => Promise<unknown>;
const runtime = { installContext: 'ari:cloud:confluence::site/c', principal: { accountId: 'u' } };
const caller = (handler: Handler) => (functionKey: string, payload: unknown) =>
  handler({ call: { functionKey, payload }, context: { cloudId: 'c', moduleKey: 'bg', extension: { type: 'confluence:backgroundScript' } } }, runtime) as Promise<Record<string, unknown>>;

/** Cold-load read units over a log cycle (min / mean / max), stored bytes, and the fold's commit time. */
export async function coldLoad(items: number, board: 'bench' | 'irregular', steps = Number(process.env.STEPS ?? 40)) {
  const def = board === 'irregular' ? irregularBoard(items) : benchBoard(items);
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never] });
  const meter = { requests: 0, units: 0 };
  const fetch = async (...args: Parameters<typeof kvs>) => {
    const response = await kvs(...args);
    const body = await response.clone().text();
    meter.requests++;
    meter.units += Math.max(1, Math.ceil(Buffer.byteLength(body) / UNIT));
    return response;
  };
  (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = fetch;
  const make = (warmDocuments: number) => {
    const r = new Resolver();
    registerStores(r, [def as never], { warmDocuments });
    return caller(r.getDefinitions() as unknown as Handler);
  };
  const writer = make(4);
  const reader = make(0);
  const loads: number[] = [];
  const times: number[] = [];
  let revision = 0;
  for (let step = 0; step < steps; step++) {
    const started = performance.now();
    const answer = await writer(F.commit, { store: 'bench', baseRevision: revision, intents: [{ clientId: 'tab', seq: step + 1, name: 'toggle', args: [step * 37] }] });
    times.push(performance.now() - started);
    revision = answer.revision as number;
    const before = meter.units;
    const beforeRequests = meter.requests;
    await reader(F.load, { store: 'bench' });
    loads.push(meter.units - before);
    if (process.env.DEBUG) console.log(step, meter.units - before, meter.requests - beforeRequests);
  }
  const stored = Object.values(kvs.dump().kv ?? {}).reduce((n: number, v) => n + Buffer.byteLength(JSON.stringify(v)), 0);
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  return { items, board, packMs: packMs(JSON.stringify(def.initialState)), min: Math.min(...loads), mean: Math.round(mean * 10) / 10, max: Math.max(...loads), stored, firstCommitMs: Math.round(times[0]!), meanCommitMs: Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 10) / 10 };
}

/**
 * What compressing a whole snapshot costs (ms, median of 3): the state's JSON in 64 KB pieces at the
 * resolver's settings (brotli quality 5, text mode). A commit that only appends a log entry of
 * under 1 KB compresses nothing; a fold compresses only the pieces it rewrites.
 */
function packMs(text: string): number {
  const runs = [0, 1, 2].map(() => {
    const started = performance.now();
    for (let i = 0; i < text.length; i += 65_536) {
      const input = Buffer.from(text.slice(i, i + 65_536));
      brotliCompressSync(input, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: input.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } }).toString('base64');
    }
    return performance.now() - started;
  });
  return Math.round(runs.sort((a, b) => a - b)[1]! * 10) / 10;
}

if (require.main === module) {
  void (async () => {
    const sizes = (process.argv[2] ?? '100,1000,10000,100000').split(',').map(Number);
    for (const items of sizes) for (const board of ['bench', 'irregular'] as const) console.log(JSON.stringify(await coldLoad(items, board)));
  })();
}
