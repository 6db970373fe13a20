// Replica apply time: one incoming one-field change, from the JSON text the bridge hands a module to
// the zustand store holding the new state — decode, validate, apply, notify. No bus, no host: the
// systems get the same payload text, and each is timed the same way.
import { createStore } from 'zustand/vanilla';
import type { Transport } from '@bgstore/core';
import { createReplica } from './replicas';
import { benchStore, makeState, setIn, type State } from './systems';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Microseconds per applied change, median over `k` changes, for bgstore, the floor and naive sync. */
export async function replicaApplyUs(items: number, k: number): Promise<{ bgstore: number; floor: number; naive: number }> {
  // bgstore: a real replica whose transport hands it payloads directly.
  let deliver!: (payload: unknown) => void;
  let helloFrom = '';
  const transport: Transport = {
    emit: (_event, payload) => void (helloFrom = (payload as unknown[])[3] as string),
    on: (_event, handler) => ((deliver = handler), () => undefined),
  };
  const replica = createReplica(benchStore(0), { transport, retryMs: 600_000, helloMinMs: 600_000, helloMaxMs: 600_000 });
  const epoch = '1000.bench';
  deliver(JSON.parse(JSON.stringify([2, 'bench', 's', epoch, 0, makeState(items), helloFrom])));
  if (replica.sync.getState().phase !== 'live') throw new Error('bench: the replica did not take its snapshot');
  const times = { bgstore: [] as number[], floor: [] as number[], naive: [] as number[] };
  let version = 0;
  for (let n = 0; n < k; n++) {
    const i = (n * 7919) % items;
    const text = JSON.stringify([2, 'bench', 'p', epoch, version++, [[1, 'items', i, 'done', n % 2 === 0]]]);
    const t0 = performance.now();
    deliver(JSON.parse(text));
    times.bgstore.push(performance.now() - t0);
  }
  if (replica.sync.getState().version !== version) throw new Error('bench: the replica missed a change');
  replica.close();
  // The floor: the minimal change as [path, value], applied by a structural copy.
  const floor = createStore<State>()(() => makeState(items));
  for (let n = 0; n < k; n++) {
    const text = JSON.stringify([['items', (n * 7919) % items, 'done'], n % 2 === 0]);
    const t0 = performance.now();
    const [path, value] = JSON.parse(text) as [(string | number)[], unknown];
    floor.setState(setIn(floor.getState(), path, value), true);
    times.floor.push(performance.now() - t0);
  }
  // Naive: the whole state in every message.
  const naive = createStore<State>()(() => makeState(items));
  let whole = makeState(items);
  for (let n = 0; n < Math.min(k, 50); n++) {
    whole = setIn(whole, ['items', (n * 7919) % items, 'done'], n % 2 === 0);
    const text = JSON.stringify(whole);
    const t0 = performance.now();
    naive.setState(JSON.parse(text) as State, true);
    times.naive.push(performance.now() - t0);
  }
  return { bgstore: median(times.bgstore) * 1000, floor: median(times.floor) * 1000, naive: median(times.naive) * 1000 };
}
