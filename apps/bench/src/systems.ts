// The three ways to sync one store across modules that the bench compares, over the emulator's
// JSON-copying event bus: bgstore, a hand-written floor, and naive full-state sync.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createHost, defineStore, type Host, type Transport } from '@bgstore/core';
import { createEventBus, createRandom, createRealClock, type EventBus } from '@bgstore/emulator';
import { createReplica } from './replicas';

export interface Item {
  id: string;
  title: string;
  done: boolean;
}
export interface State {
  items: Item[];
  meta: { title: string };
}

export const makeState = (n: number): State => ({
  items: Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, title: `Item number ${i}`, done: false })),
  meta: { title: 'Bench board' },
});

export const benchStore = (n: number) =>
  defineStore({
    name: 'bench',
    initialState: makeState(n),
    actions: {
      toggle: (draft, i: number) => {
        const item = draft.items[i];
        if (item) item.done = !item.done;
      },
    },
  });

/** A bus with members; each member's transport copies payloads as JSON, like the bridge. */
export function createBusWorld() {
  const bus: EventBus = createEventBus({ clock: createRealClock(), random: createRandom(1), selfDelivery: false });
  let n = 0;
  const transport = (name: string): Transport => {
    const member = { id: `${name}#${++n}`, moduleKey: name, appId: 'bench' };
    return { emit: (event, payload) => bus.emit(member, event, payload), on: (event, handler) => bus.subscribe(member, event, handler) };
  };
  return { bus, transport };
}

/** Long enough for what a replica does after its snapshot (its digest, in slices) to be over before anything is timed. */
export const settle = (items: number) => new Promise((r) => setTimeout(r, items >= 100_000 ? 1500 : items >= 10_000 ? 200 : 0));

/** Lets every queued microtask delivery run. */
export const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One system under test: make a change, and know when every replica has it. */
export interface System {
  name: 'bgstore' | 'floor' | 'naive';
  bus: EventBus;
  /** Sends change number `k` (toggle item `i`); resolves when every replica applied it. */
  change(i: number): Promise<void>;
  replicaStates(): State[];
  /** A replica that starts late: time and bus messages until it has the state. */
  join(): Promise<{ ms: number; messages: number }>;
  /** Subscribes to every replica's store (for re-render counting). */
  stores(): { getState(): State; subscribe(l: (s: State, p: State) => void): () => void }[];
  close(): void;
}

export type BenchHost = Host<State, ReturnType<typeof benchStore>['actions']>;

/** bgstore on the bench's state; `define` may give another shape of it (the collection: `collections.ts`). */
export async function createBgstore(n: number, replicas: number, define: (n: number) => ReturnType<typeof benchStore> = benchStore): Promise<System & { host: BenchHost }> {
  const { bus, transport } = createBusWorld();
  const def = define(n);
  const host = createHost(def, { transport: transport('bg'), heartbeatMs: 60_000 });
  await host.ready;
  // Each replica gets its own copy of the definition, as each Forge module bundles its own, and
  // like a real module's its initial state is the empty default: the data comes from the host.
  const rs = Array.from({ length: replicas }, (_, k) => createReplica(define(0), { transport: transport(`feed${k}`), retryMs: 60_000 }));
  for (let t = 0; t < 1000 && rs.some((r) => r.sync.getState().phase !== 'live'); t++) await drain();
  if (replicas > 0) await settle(n);
  const target = () => host.version();
  return {
    name: 'bgstore',
    bus,
    host,
    async change(i) {
      const done = rs[0]!.actions.toggle(i);
      await done;
      while (rs.some((r) => r.sync.getState().version !== target())) await drain();
    },
    replicaStates: () => rs.map((r) => r.getState() as State),
    async join() {
      const before = bus.stats().emitted;
      const t0 = performance.now();
      const late = createReplica(define(0), { transport: transport('late'), retryMs: 60_000 });
      while (late.sync.getState().phase !== 'live') await drain();
      const result = { ms: performance.now() - t0, messages: bus.stats().emitted - before };
      late.close();
      return result;
    },
    stores: () => rs as never,
    close: () => (rs.forEach((r) => r.close()), host.close()),
  };
}

/**
 * A hand-written sync over bridge events, as an app would write it without a framework: the host
 * emits one message per change, every replica applies it by hand, and a late replica asks for the
 * whole state (the Forge docs' handshake). `message` says what is sent, `apply` how it lands.
 */
async function createHandWritten(
  name: 'floor' | 'naive',
  n: number,
  replicas: number,
  message: (state: State, i: number) => { next: State; payload: unknown },
  apply: (current: State, payload: unknown) => State,
): Promise<System> {
  const { bus, transport } = createBusWorld();
  const host = transport('bg');
  let state = makeState(n);
  const stores: StoreApi<State>[] = [];
  let applied = 0;
  let waiting: (() => void) | undefined;
  for (let k = 0; k < replicas; k++) {
    const store = createStore<State>()(() => JSON.parse(JSON.stringify(state)) as State);
    stores.push(store);
    await transport(`feed${k}`).on(`${name}:change`, (payload) => {
      store.setState(apply(store.getState(), payload), true);
      if (++applied % replicas === 0) waiting?.();
    });
  }
  await host.on(`${name}:request`, () => void host.emit(`${name}:state`, state));
  return {
    name,
    bus,
    join: () => joinByRequest(bus, transport, name),
    async change(i) {
      const { next, payload } = message(state, i);
      state = next;
      const wait = new Promise<void>((r) => (waiting = r));
      await host.emit(`${name}:change`, payload);
      await wait;
    },
    replicaStates: () => stores.map((s) => s.getState()),
    stores: () => stores,
    close: () => undefined,
  };
}

/** Copies the containers along `path` and sets the value at its end: the least an immutable update can do. */
export function setIn<T>(root: T, path: (string | number)[], value: unknown): T {
  if (path.length === 0) return value as T;
  const [key, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<string | number, unknown>;
  copy[key!] = setIn(copy[key!], rest, value);
  return copy as T;
}

/** The floor: one hand-written emit of the minimal change, applied by a hand-written structural copy (no immer, no freezing). */
export const createFloor = (n: number, replicas: number) =>
  createHandWritten(
    'floor',
    n,
    replicas,
    (state, i) => {
      const done = !state.items[i]!.done;
      return { next: setIn(state, ['items', i, 'done'], done), payload: [['items', i, 'done'], done] };
    },
    (current, payload) => {
      const [path, value] = payload as [(string | number)[], unknown];
      return setIn(current, path, value);
    },
  );

/** Naive: the whole state emitted on every change and set into each replica's zustand store. */
export const createNaive = (n: number, replicas: number) =>
  createHandWritten(
    'naive',
    n,
    replicas,
    (state, i) => {
      const next = { ...state, items: state.items.map((it, j) => (j === i ? { ...it, done: !it.done } : it)) };
      return { next, payload: next };
    },
    (_, whole) => whole as State,
  );

/** The hand-written late join of the Forge docs: ask, and take the whole state in the answer. */
async function joinByRequest(bus: EventBus, transport: (name: string) => Transport, prefix: string) {
  const answer = `${prefix}:state`;
  const before = bus.stats().emitted;
  const t0 = performance.now();
  const late = transport('late');
  let got: unknown;
  await late.on(answer, (s) => void (got = s));
  await late.emit(`${prefix}:request`, {});
  while (got === undefined) await drain();
  return { ms: performance.now() - t0, messages: bus.stats().emitted - before };
}
