// A host's own action against the floor: 200 actions queued at once on a 10,000-item state, each
// toggling one item, its patch frames serialised as the bridge would (JSON), and the batch
// committed (to a storage that accepts everything and costs nothing: what is timed is the host's
// own share, from the call to the commit's answer applied) — against a hand-written structural
// copy of the same change. Each figure is the best round's mean of CPU time (a shared machine's
// load only ever adds). Replicas applying patches is measured apart (apply.ts), so no replica
// listens here. `freezing` is read once per process, so each mode's figure comes from a child
// process run with its NODE_ENV.
import { spawnSync } from 'node:child_process';
import { createHost, type Persistence, type Transport } from '@bgstore/core';
import { benchStore, makeState, type State } from './systems';

const ITEMS = 10_000;
const ACTIONS = 200;
/**
 * Rounds run first and not timed, in each process: both sides are timed compiled (a fresh
 * process's first rounds of the host still run in the interpreter, at 10–20× the steady cost).
 */
const WARMUP = 20;

/**
 * The process's CPU time in µs (user + system, every thread: the GC's helpers too). Not the wall
 * clock: on a shared machine a round descheduled half the time would count double.
 */
function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** A transport that serialises what the host sends, as the bridge does, and delivers nothing. */
function serialisingTransport(): Transport & { bytes: number } {
  const t = {
    bytes: 0,
    emit: (_event: string, payload: unknown) => void (t.bytes += JSON.stringify(payload).length),
    on: () => () => undefined,
  };
  return t;
}

/**
 * Storage at no cost: every intent accepted on the host's own base, so the host predicts each answer
 * (as it does whenever no other page commits meanwhile). The host's work on a commit is timed, not
 * storage's.
 */
function acceptingStorage(state: State): Persistence<State> {
  let revision = 0;
  return {
    load: async () => ({ revision, state, clients: {} }),
    commit: async (batch) => ({ revision: ++revision, outcomes: batch.intents.map((i) => ({ clientId: i.clientId, seq: i.seq, ok: true as const })) }),
  };
}

/** A hand-written structural copy of the same change: each round toggles `ACTIONS` items by hand. */
function handCopier() {
  let state: State = makeState(ITEMS);
  return (round: number) => {
    for (let k = 0; k < ACTIONS; k++) {
      const i = (round * ACTIONS + k) % ITEMS;
      const items = state.items.slice();
      items[i] = { ...items[i]!, done: !items[i]!.done };
      state = { ...state, items };
    }
  };
}

/**
 * The host's and the hand copy's best rounds (µs per action), in one process, round for round
 * (a hand round, then a host round): both see the same load and the same warm-up.
 */
async function hostAndHandUs(rounds: number): Promise<{ hostUs: number; handUs: number }> {
  const store = benchStore(ITEMS);
  const host = createHost(store, { transport: serialisingTransport(), persistence: acceptingStorage(store.initialState), heartbeatMs: 60_000, revisionCheckMs: 0 });
  await host.ready;
  const hand = handCopier();
  const best = { hostUs: Infinity, handUs: Infinity };
  for (let r = -WARMUP; r < rounds; r++) {
    const round = r + WARMUP;
    let started = cpuUs();
    hand(round);
    if (r >= 0) best.handUs = Math.min(best.handUs, (cpuUs() - started) / ACTIONS);
    started = cpuUs();
    const calls = Array.from({ length: ACTIONS }, (_, k) => host.actions.toggle((round * ACTIONS + k) % ITEMS));
    await Promise.all(calls.map((c) => c.applied));
    // The batch is committed now (not after the debounce) and its answer applied: the call settles.
    host.flush();
    await Promise.all(calls);
    if (r >= 0) best.hostUs = Math.min(best.hostUs, (cpuUs() - started) / ACTIONS);
  }
  host.close();
  return best;
}

export interface HostActionFigures {
  handUs: number;
  productionUs: number;
  developmentUs: number;
}

/** Both modes side by side with the hand copy, in this run. */
export async function hostActionScenario(rounds = 15): Promise<HostActionFigures> {
  // Each mode in its own fresh process, interleaved three times: the best of each; the hand copy
  // is timed in those processes too, round for round with the host.
  const f = { handUs: Infinity, productionUs: Infinity, developmentUs: Infinity };
  for (let pass = 0; pass < 3; pass++) {
    for (const mode of ['production', 'development'] as const) {
      const { hostUs, handUs } = measureIn(mode, rounds);
      f.handUs = Math.min(f.handUs, handUs);
      f[mode === 'production' ? 'productionUs' : 'developmentUs'] = Math.min(f[mode === 'production' ? 'productionUs' : 'developmentUs'], hostUs);
    }
  }
  return f;
}

function measureIn(mode: 'production' | 'development', rounds: number): { hostUs: number; handUs: number } {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, String(rounds)], { env: { ...process.env, NODE_ENV: mode }, encoding: 'utf8' });
  const hostUs = Number(/hostActionUs=([\d.]+)/.exec(child.stdout)?.[1]);
  const handUs = Number(/handUs=([\d.]+)/.exec(child.stdout)?.[1]);
  if (!Number.isFinite(hostUs) || !Number.isFinite(handUs)) throw new Error(`[bench] host action in ${mode} mode failed: ${child.stderr}`);
  return { hostUs, handUs };
}

export function printHostAction(f: HostActionFigures) {
  const x = (us: number) => `${us.toFixed(1)} µs (${(us / f.handUs).toFixed(1)}× the hand copy)`;
  console.log(`\nHost's own action, ${ACTIONS} queued on ${ITEMS.toLocaleString('en')} items (target: production ≤ 3× the hand copy, development ≤ 2× production)`);
  console.log(`  hand-written structural copy  ${f.handUs.toFixed(1)} µs`);
  console.log(`  bgstore, production           ${x(f.productionUs)}`);
  console.log(`  bgstore, development          ${x(f.developmentUs)}; ${(f.developmentUs / f.productionUs).toFixed(1)}× production`);
}

if (require.main === module) {
  const rounds = Number(process.argv[2] ?? 15);
  if (process.argv[2]) void hostAndHandUs(rounds).then(({ hostUs, handUs }) => console.log(`hostActionUs=${hostUs} handUs=${handUs}`));
  else void hostActionScenario(rounds).then(printHostAction);
}
