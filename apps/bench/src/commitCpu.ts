// #17 the resolver's commit CPU with the head's state hash: a warm instance's lone commit at 10,000
// and 100,000 items (the hash rehashes only what changed), and a cold commit verifying a caller's
// base (the whole state hashed). CPU ms of the process on this machine, in production mode; run it on the
// commit before and after a change to compare: `node --conditions=@bgstore/source -r ./register.js src/commitCpu.ts`.
import './noBridge';
import { deflateRawSync } from 'node:zlib';
import { runIntent } from '@bgstore/core/durable';
import type { BoardDef } from './budgetWorld';
import { createResolverWorld } from './resolverWorld';
import { COMPACT_ABOVE } from './irregularBoard';
import { compactStore } from './storage';
import { benchStore } from './systems';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** CPU ms (user + system) of this process while `run` runs: less at the mercy of other processes than the wall. */
async function cpuMs(run: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

export interface CommitCpu {
  items: number;
  /** A warm lone commit after the same instance's (median CPU ms). */
  warmMs: number;
  /** A warm lone commit after another instance's commit (the changed path is not hashed yet). */
  afterOtherMs: number;
  /** A cold commit sent its base (verified by hashing the whole state), or reading the state where heads keep no hash. */
  coldBaseMs: number;
}

/** CPU per commit on the budget's bench board of `items`, as the real resolver runs it on the emulator's KVS. */
export async function commitCpu(items: number, commits = 24): Promise<CommitCpu> {
  // The budget's boards: above COMPACT_ABOVE items, short items (the bench's would pass 4 MB).
  const def = (items > COMPACT_ABOVE ? compactStore(items) : benchStore(items)) as BoardDef;
  const world = createResolverWorld([def]);
  let state: unknown = def.initialState;
  let revision = 0;
  let k = 0;
  const commit = async (cold: boolean) => {
    const index = (++k * 7919) % items;
    const payload = { store: 'bench', baseRevision: revision, intents: [{ clientId: 'cpu', seq: k, name: 'toggle', args: [index] }], ...(cold ? { base: deflateRawSync(JSON.stringify(state)).toString('base64') } : {}) };
    let r: Record<string, unknown> = {};
    const ms = await cpuMs(async () => (r = await (cold ? world.callCold : world.call)('bgstore.commit', payload)));
    if (!(r.outcomes as { ok: boolean }[] | undefined)?.[0]?.ok) throw new Error(`[bench] commit CPU: ${JSON.stringify(r).slice(0, 200)}`);
    revision = r.revision as number;
    const ran = runIntent(def, state as never, 'toggle', [index], 'cpu');
    if (ran.ok) state = ran.state;
    return ms;
  };
  const warm: number[] = [];
  const afterOther: number[] = [];
  const cold: number[] = [];
  await commit(false);
  await commit(false); // the instance has read the document and hashed it once
  for (let n = 0; n < commits; n++) warm.push(await commit(false));
  for (let n = 0; n < commits / 2; n++) {
    cold.push(await commit(true));
    afterOther.push(await commit(false));
  }
  return { items, warmMs: median(warm), afterOtherMs: median(afterOther), coldBaseMs: median(cold) };
}

if (require.main === module) {
  void (async () => {
    for (const items of [10_000, 100_000]) {
      const r = await commitCpu(items);
      console.log(`${items} items, CPU ms (median): warm lone commit ${r.warmMs.toFixed(2)}, after another instance's commit ${r.afterOtherMs.toFixed(2)}, cold commit sent its base ${r.coldBaseMs.toFixed(1)}`);
    }
  })();
}
