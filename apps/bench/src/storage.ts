// Storage cost of actions, in a burst or one at a time: bgstore measured end to end (host → invoke →
// resolver → the emulator's KVS); the floor and naive figures follow from their write pattern.
import Resolver from '@forge/resolver';
import { createHost, defineStore } from '@bgstore/core';
import { createKvsFetch, createRandom } from '@bgstore/emulator';
import { createInvokePersistence } from '@bgstore/forge';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { createReplica } from './replicas';
import { createResolverWorld } from './resolverWorld';
import { benchStore, createBusWorld, drain, makeState } from './systems';

export interface StorageFigures {
  writes: number;
  bytes: number;
  invokes: number;
}

/**
 * bgstore: a burst of `burst` actions from a replica on neighbouring items, until the host has
 * saved them all; or (`alone`) `burst` actions on items spread over the state, each awaited until
 * saved before the next, as one user clicking now and then.
 */
export async function bgstoreStorage(items: number, burst: number, alone = false): Promise<StorageFigures> {
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never] });
  (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = kvs;
  const def = benchStore(items);
  const resolver = new Resolver();
  registerStores(resolver, [def], { maxPayload: 5_000_000 });
  const handler = resolver.getDefinitions() as unknown as (e: unknown, r: unknown) => Promise<unknown>;
  let invokes = 0;
  const invoke = (functionKey: string, payload: Record<string, unknown>) => {
    invokes++;
    return handler({ call: { functionKey, payload: JSON.parse(JSON.stringify(payload)) }, context: {} }, { installContext: 'bench', principal: { accountId: 'bench' } }).then((r) => JSON.parse(JSON.stringify(r)));
  };
  const { transport } = createBusWorld();
  const host = createHost(def, { transport: transport('bg'), persistence: createInvokePersistence(def, { invoke }), heartbeatMs: 60_000, flushDelayMs: alone ? 5 : 200, revisionCheckMs: 0 });
  await host.ready;
  const replica = createReplica(def, { transport: transport('feed'), retryMs: 60_000 });
  while (replica.sync.getState().phase !== 'live') await drain();
  // The document is stored once before measuring, as it would be on a site in use.
  await replica.actions.toggle(0);
  await replica.actions.toggle(0);
  kvs.resetStats();
  invokes = 0;
  if (alone) {
    for (let k = 0; k < burst; k++) await replica.actions.toggle((k * 7919) % items);
  } else {
    await Promise.all(Array.from({ length: burst }, (_, k) => replica.actions.toggle(k % items)));
  }
  const stats = kvs.stats();
  replica.close();
  host.close();
  return { writes: stats.writes, bytes: stats.bytesWritten, invokes };
}

/** The floor writes only the changed item, one set (and one invoke) per change. */
export function floorStorage(items: number, burst: number): StorageFigures {
  const item = JSON.stringify(makeState(Math.min(items, 1)).items[0]).length;
  return { writes: burst, bytes: burst * item, invokes: burst };
}

/** Naive writes the whole state on every change (in 240 KiB pieces once it outgrows one value). */
export function naiveStorage(items: number, burst: number): StorageFigures {
  const size = JSON.stringify(makeState(items)).length;
  return { writes: burst * Math.ceil(size / (240 * 1024)), bytes: burst * size, invokes: burst };
}

/** Items with short fields, so that 100,000 of them fit one document (4 MB). */
export const compactStore = (n: number) =>
  defineStore({
    name: 'bench',
    initialState: { items: Array.from({ length: n }, (_, i) => ({ id: i, done: false })), meta: { title: 'Bench board' } },
    actions: {
      toggle: (draft, i: number) => {
        const item = draft.items[i];
        if (item) item.done = !item.done;
      },
    },
  });

export interface LoneFigures {
  /** Lone actions in one cycle: from one folding of the log into a snapshot to the next. */
  actions: number;
  /** KVS bytes written per action over the cycle, the fold included. */
  bytesPerAction: number;
  writesPerAction: number;
  /** KVS bytes a commit reads on a warm instance (the head and what changed), averaged over the cycle. */
  readPerAction: number;
  /** KVS bytes a commit reads on a cold instance (the whole document), at the end of the cycle. */
  readPerColdCommit: number;
  /** A page load on a cold instance just before the log is folded (the longest log), and a revision check. */
  loadBytes: number;
  revisionBytes: number;
  /** The document's JSON (state and client table). */
  documentBytes: number;
  /** Resolver time per commit, ms (emulated KVS, no latency), warm; and one commit on a cold instance. */
  commitMs: number;
  coldCommitMs: number;
}

/**
 * One user's lone actions straight into the real resolver (`bgstore.commit` with one intent each,
 * on items spread over the state), measured over one whole cycle of the log: from one snapshot to
 * the next, so the fold's writes are shared by the actions that made it necessary.
 */
export async function loneCycle(items: number, compact = false, maxActions = 5000): Promise<LoneFigures> {
  const def = compact ? compactStore(items) : benchStore(items);
  const world = createResolverWorld([def]);
  let seq = 0;
  let revision = 0;
  const commit = async (cold = false) => {
    const k = ++seq;
    const r = await (cold ? world.callCold : world.call)('bgstore.commit', { store: 'bench', baseRevision: revision, intents: [{ clientId: 'tab', seq: k, name: 'toggle', args: [(k * 7919) % items] }] });
    if ('error' in r) throw new Error(`[bench] commit failed: ${JSON.stringify(r.error)}`);
    revision = r.revision as number;
  };
  await commit();
  const snapshotAt = () => world.head()?.data.b;
  const first = snapshotAt();
  world.kvs.resetStats();
  world.resetReads();
  const t0 = performance.now();
  let actions = 0;
  while (snapshotAt() === first && actions < maxActions) {
    await commit();
    actions++;
  }
  const commitMs = (performance.now() - t0) / actions;
  const stats = world.kvs.stats();
  const readPerAction = world.bytesRead() / actions;
  // The next cycle: a page load every 25 actions; the largest is the one just before the fold.
  let loadBytes = 0;
  let loaded: Record<string, unknown> = {};
  const second = snapshotAt();
  for (let i = 0; snapshotAt() === second && i < maxActions; i++) {
    if (i % 25 === 0) {
      world.resetReads();
      loaded = await world.callCold('bgstore.load', { store: 'bench' });
      loadBytes = Math.max(loadBytes, world.bytesRead());
    }
    await commit();
  }
  world.resetReads();
  await world.callCold('bgstore.revision', { store: 'bench' });
  const revisionBytes = world.bytesRead();
  world.resetReads();
  const c0 = performance.now();
  await commit(true);
  const coldCommitMs = performance.now() - c0;
  const readPerColdCommit = world.bytesRead();
  const documentBytes = Buffer.byteLength(JSON.stringify(loaded.state)) + Buffer.byteLength(JSON.stringify(loaded.clients));
  return { actions, bytesPerAction: stats.bytesWritten / actions, writesPerAction: stats.writes / actions, readPerAction, readPerColdCommit, coldCommitMs, loadBytes, revisionBytes, documentBytes, commitMs };
}

/**
 * Stored bytes after `count` mixed actions from a few users — toggles, renames, adds and removes,
 * ten per commit — against the document they leave.
 */
export async function mixedStored(items: number, count: number): Promise<{ stored: number; mean: number; max: number; document: number }> {
  const def = defineStore({
    name: 'bench',
    initialState: makeState(items),
    actions: {
      toggle: (draft, i: number) => {
        const item = draft.items[i % draft.items.length];
        if (item) item.done = !item.done;
      },
      rename: (draft, i: number, title: string) => {
        const item = draft.items[i % draft.items.length];
        if (item) item.title = title;
      },
      add: (draft, id: string) => void draft.items.push({ id, title: `New ${id}`, done: false }),
      remove: (draft, i: number) => void draft.items.splice(i % draft.items.length, 1),
    },
  });
  const world = createResolverWorld([def]);
  const random = createRandom(7);
  const seqs = [0, 0, 0, 0, 0];
  const samples: number[] = [];
  let revision = 0;
  // Ten actions per commit, as a host batches a user's clicks.
  for (let k = 0; k < count; k += 10) {
    const user = Math.floor(random.next() * seqs.length);
    const intents = Array.from({ length: Math.min(10, count - k) }, (_, j) => {
      const roll = random.next();
      const at = Math.floor(random.next() * items);
      const [name, args] = roll < 0.6 ? ['toggle', [at]] : roll < 0.8 ? ['rename', [at, `Renamed ${k + j}`]] : roll < 0.9 ? ['add', [`n${k + j}`]] : ['remove', [at]];
      return { clientId: `user-${user}`, seq: ++seqs[user]!, name, args };
    });
    const r = await world.call('bgstore.commit', { store: 'bench', baseRevision: revision, intents }, `user-${user}`);
    if ('error' in r) throw new Error(`[bench] commit failed: ${JSON.stringify(r.error)}`);
    revision = r.revision as number;
    // Over the last tenth of the run, what is stored after each commit (a fold's garbage stays a commit).
    if (k >= count * 0.9) samples.push(world.storedBytes());
  }
  const loaded = await world.call('bgstore.load', { store: 'bench' });
  const document = Buffer.byteLength(JSON.stringify(loaded.state)) + Buffer.byteLength(JSON.stringify(loaded.clients));
  return { stored: world.storedBytes(), mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples), document };
}
