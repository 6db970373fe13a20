// Storage cost of actions, in a burst or one at a time: bgstore measured end to end (host → invoke →
// resolver → the emulator's KVS); the floor and naive figures follow from their write pattern.
import Resolver from '@forge/resolver';
import { createHost, createReplica } from '@bgstore/core';
import { createKvsFetch } from '@bgstore/emulator';
import { createInvokePersistence } from '@bgstore/forge';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
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
