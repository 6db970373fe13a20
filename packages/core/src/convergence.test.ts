import fc from 'fast-check';
import { createHost, createMemoryPersistence, createReplica, defineStore, type Host, type Replica } from '.';
import { createWorld } from '../test/world';

// Property: whatever the bus does (drop, duplicate, delay, reorder, self-delivery or not) and
// however often the host restarts, once messages flow again every replica deep-equals the host,
// every action is applied at most once, and every call is settled: resolved (applied) or rejected.
// Runs: BGSTORE_RUNS (default 150); seed: BGSTORE_SEED (default fixed), named in the suite's title so
// even a timeout under load prints it; fast-check prints it with the counterexample too.

const ledger = defineStore({
  name: 'ledger',
  initialState: { log: [] as string[], cards: {} as Record<string, { done: boolean }>, order: [] as string[] },
  actions: {
    add: (draft, op: string, id: string) => {
      draft.cards[id] = { done: false };
      draft.order.unshift(id);
      draft.log.push(op);
    },
    toggle: (draft, op: string, id: string) => {
      const card = draft.cards[id];
      if (!card) throw new Error(`no card ${id}`);
      card.done = !card.done;
      draft.log.push(op);
    },
    remove: (draft, op: string, id: string) => {
      delete draft.cards[id];
      const i = draft.order.indexOf(id);
      if (i >= 0) draft.order.splice(i, 1);
      draft.log.push(op);
    },
  },
});

type Ledger = typeof ledger;
type Step =
  | { kind: 'call'; replica: number; action: 'add' | 'toggle' | 'remove'; card: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'restartHost' }
  | { kind: 'restartReplica'; replica: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), replica: fc.nat(5), action: fc.constantFrom('add' as const, 'toggle' as const, 'remove' as const), card: fc.nat(6) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restartHost' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartReplica' as const), replica: fc.nat(5) }) },
);

const scenarioArb = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  replicas: fc.integer({ min: 1, max: 4 }),
  optimistic: fc.boolean(),
  selfDelivery: fc.boolean(),
  hostFirst: fc.boolean(),
  faults: fc.record({
    drop: fc.constantFrom(0, 0.05, 0.2, 0.4),
    duplicate: fc.constantFrom(0, 0.1, 0.3),
    delay: fc.constantFrom(0, [0, 20] as [number, number], [0, 150] as [number, number]),
    reorder: fc.constantFrom(0, 0.1, 0.3),
  }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

export async function run(s: Scenario, trace = false) {
  const w = createWorld({ seed: s.seed, faults: s.faults, selfDelivery: s.selfDelivery, trace });
  const persistence = createMemoryPersistence(ledger);
  const options = { clock: w.clock, createId: idSource(s.seed) };
  const startHost = () => createHost(ledger, { ...options, transport: w.transport('bg'), persistence, heartbeatMs: 500, flushDelayMs: 100, revisionCheckMs: 0 });
  const startReplica = () => createReplica(ledger, { ...options, transport: w.transport('feed'), optimistic: s.optimistic, intentTimeoutMs: 3_600_000, retryMs: 300, gapHoldMs: 50, hostSilenceMs: 1500 });

  let host: Host<Ledger['initialState'], Ledger['actions']> | undefined = s.hostFirst ? startHost() : undefined;
  const replicas: Replica<Ledger['initialState'], Ledger['actions']>[] = Array.from({ length: s.replicas }, startReplica);
  host ??= startHost();
  const outcomes = new Map<string, 'pending' | 'resolved' | 'rejected' | 'closed'>();
  const authors = new Map<string, Replica<Ledger['initialState'], Ledger['actions']>>();
  const views = new Map<Replica<Ledger['initialState'], Ledger['actions']>, string[][]>();
  const watch = (r: Replica<Ledger['initialState'], Ledger['actions']>) => {
    const seen: string[][] = [r.getState().log];
    r.subscribe((state) => seen.push(state.log));
    views.set(r, seen);
  };
  replicas.forEach(watch);

  let op = 0;
  for (const step of s.steps) {
    if (step.kind === 'wait') await w.run(step.ms);
    else if (step.kind === 'restartHost') {
      host.close();
      host = startHost();
      await w.run(1);
    } else if (step.kind === 'restartReplica') {
      const i = step.replica % replicas.length;
      replicas[i]!.close();
      replicas[i] = startReplica();
      watch(replicas[i]!);
    } else {
      const id = `op${++op}`;
      outcomes.set(id, 'pending');
      const author = replicas[step.replica % replicas.length]!;
      authors.set(id, author);
      author.actions[step.action](id, `c${step.card}`).then(
        () => outcomes.set(id, 'resolved'),
        (e: { code?: string }) => outcomes.set(id, e.code === 'CLOSED' ? 'closed' : 'rejected'),
      );
    }
  }

  // Quiescence: the bus heals, time passes until everyone agrees.
  w.bus.setFaults(undefined);
  for (let i = 0; i < 200; i++) {
    await w.run(500);
    const settled = [...outcomes.values()].every((o) => o !== 'pending');
    const synced = (r: (typeof replicas)[number]) => {
      const st = r.sync.getState();
      return st.phase === 'live' && st.pending === 0 && st.epoch === host!.epoch && st.version === host!.version();
    };
    if (settled && replicas.every(synced)) break;
  }

  const state = host.getState();
  for (const r of replicas) {
    expect(r.sync.getState()).toMatchObject({ phase: 'live', epoch: host.epoch, version: host.version(), pending: 0 });
    expect(r.getState()).toEqual(state);
  }
  // At most once: no op in the log twice; applied ops resolved (or their caller closed), refused ones absent.
  expect(new Set(state.log).size).toBe(state.log.length);
  for (const [id, outcome] of outcomes) {
    expect(outcome).not.toBe('pending');
    if (outcome === 'resolved') expect(state.log).toContain(id);
    if (outcome === 'rejected') expect(state.log).not.toContain(id);
  }
  // Durable: the stored document is the host's state.
  expect(persistence.peek().state).toEqual(state);
  // No flicker: once a resolved op shows in its optimistic author's view, it stays — even when a
  // host dies before saving it. (Other replicas show what the current host has.)
  if (s.optimistic) {
    for (const [id, outcome] of outcomes) {
      const seen = views.get(authors.get(id)!)!;
      if (outcome !== 'resolved') continue;
      const first = seen.findIndex((log) => log.includes(id));
      if (first >= 0) expect(seen.slice(first).every((log) => log.includes(id))).toBe(true);
    }
  }
  host.close();
  replicas.forEach((r) => r.close());
}

function idSource(seed: number) {
  let n = 0;
  return () => `id${seed.toString(36)}-${(++n).toString(36)}`;
}

const seed = Number(process.env.BGSTORE_SEED ?? 20_006);

describe(`convergence under a faulty bus (property, BGSTORE_SEED=${seed})`, () => {
  it('converges, applies every action at most once, settles every call', async () => {
    const numRuns = Number(process.env.BGSTORE_RUNS ?? 150);
    await fc.assert(fc.asyncProperty(scenarioArb, (s) => run(s)), { numRuns, seed, endOnFailure: false });
  }, 300_000);
});
