// The bench's state with its items in a collection (issue 22.2) beside the plain array: the same
// toggles, on the same bus, measured the same ways (origin, end to end, bytes, replica heap).
import { createCollection, defineStore, getItem, type Collection } from '@bgstore/core';
import { benchStore, createBgstore, drain, makeState, type Item } from './systems';

/** The bench store with `items` as a collection keyed by item id; `toggle(i)` toggles `item-i`. */
export const collectionStore = (n: number) =>
  defineStore({
    name: 'bench',
    initialState: { items: createCollection<Item>(makeState(n).items), meta: { title: 'Bench board' } },
    actions: {
      toggle: (draft, i: number) => {
        const item = getItem(draft.items, `item-${i}`);
        if (item) item.done = !item.done;
      },
    },
  });

/** The collection store where the bench expects the array one: same actions, same `meta`. */
export const asBench = collectionStore as unknown as typeof benchStore;
export type CollectionState = { items: Collection<Item>; meta: { title: string } };

// Twice: one full collection leaves weakly held entries (memoised digests, id maps) half settled,
// which read as ±6% of a replica's heap at 10,000 items from one run to the next.
const gc = () => {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

export interface ShapeFigures {
  /** Host time per action, no replica listening (µs, median of rounds). */
  originUs: number;
  /** The process's CPU time per action in the same rounds (µs, median): less swayed by other load. */
  originCpuUs: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  bytesPerAction: number;
  replicaHeapMb: number;
}

type Define = typeof benchStore;

async function origin(items: number, define: Define, k: number): Promise<{ us: number; cpuUs: number }> {
  const system = await createBgstore(items, 0, define);
  for (let i = 0; i < 10; i++) await system.host.actions.toggle(i);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < k; i++) await system.host.actions.toggle((i * 31) % items);
  const us = ((performance.now() - t0) * 1000) / k;
  const cpu = process.cpuUsage(cpu0);
  system.close();
  await drain();
  return { us, cpuUs: (cpu.user + cpu.system) / k };
}

async function endToEnd(items: number, replicas: number, define: Define, k: number) {
  const system = await createBgstore(items, replicas, define);
  for (let i = 0; i < 5; i++) await system.change(i);
  const bytes0 = system.bus.stats().bytes;
  const times: number[] = [];
  for (let i = 0; i < k; i++) {
    const t0 = performance.now();
    await system.change((i * 7919) % items);
    times.push(performance.now() - t0);
  }
  const bytes = (system.bus.stats().bytes - bytes0) / k;
  system.close();
  await drain();
  return { p50: pct(times, 50), p99: pct(times, 99), bytes };
}

/** Heap per replica: 1 + `replicas` minus 1 replica, so the host's share cancels out. */
async function heapPerReplica(items: number, define: Define, replicas: number): Promise<number> {
  const footprint = async (count: number) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const system = await createBgstore(items, count, define);
    gc();
    const used = process.memoryUsage().heapUsed - before;
    system.close();
    await drain();
    return used;
  };
  await footprint(1 + replicas);
  const one = await footprint(1);
  const many = await footprint(1 + replicas);
  return (many - one) / replicas / 1024 / 1024;
}

/** The plain array and the collection, interleaved over `rounds` so neither runs first every time. */
export async function compareShapes(items: number, replicas: number, quick: boolean): Promise<{ array: ShapeFigures; collection: ShapeFigures }> {
  const shapes = { array: benchStore, collection: asBench } as const;
  const origins: Record<keyof typeof shapes, { us: number; cpuUs: number }[]> = { array: [], collection: [] };
  const k = quick ? 100 : items >= 100_000 ? 100 : 500;
  for (let round = 0; round < (quick ? 1 : 3); round++) for (const name of ['array', 'collection'] as const) origins[name].push(await origin(items, shapes[name], k));
  const out = {} as Record<keyof typeof shapes, ShapeFigures>;
  for (const name of ['array', 'collection'] as const) {
    const e2e = await endToEnd(items, replicas, shapes[name], quick ? 30 : items >= 100_000 ? 60 : 200);
    out[name] = { originUs: pct(origins[name].map((o) => o.us), 50), originCpuUs: pct(origins[name].map((o) => o.cpuUs), 50), e2eP50Ms: e2e.p50, e2eP99Ms: e2e.p99, bytesPerAction: e2e.bytes, replicaHeapMb: await heapPerReplica(items, shapes[name], quick ? 2 : 5) };
  }
  return out;
}
