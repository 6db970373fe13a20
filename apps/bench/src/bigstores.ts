// Issue 22's scenarios: late joins after a burst (with the longest replica task) and the collection
// shape beside the plain array. Part of `npm run bench`; also runs alone:
//   NODE_ENV=production node --expose-gc --conditions=@bgstore/source -r ./register.js src/bigstores.ts [--quick] [--join-only]
import './noBridge';
import { asBench, compareShapes } from './collections';
import { assertDigestProbe } from './digestProbe';
import { lateJoinAfterBurst } from './lateJoin';
import { assertDigestChecksOn } from './replicas';

/** A row of this section: one value per column (`array`, `collection`). */
export interface BigRow {
  scenario: string;
  metric: string;
  unit: string;
  array: number;
  collection: number | null;
}

const round = (x: number) => Number(x.toFixed(3));

export async function bigStoreScenarios(quick: boolean, joinOnly = false): Promise<BigRow[]> {
  const rows: BigRow[] = [];
  const add = (scenario: string, metric: string, unit: string, array: number, collection: number | null) => rows.push({ scenario, metric, unit, array: round(array), collection: collection === null ? null : round(collection) });
  for (const items of quick ? [10_000] : [10_000, 100_000]) {
    for (const replicas of quick ? [1, 5] : [1, 5, 10]) {
      const a = await lateJoinAfterBurst(items, replicas);
      const c = joinOnly ? null : await lateJoinAfterBurst(items, replicas, asBench);
      const scenario = `items=${items} replicas=${replicas} after 25 actions`;
      add(scenario, 'late_join_ms', 'ms', a.joinMs, c?.joinMs ?? null);
      add(scenario, 'late_join_cpu_ms', 'ms', a.joinCpuMs, c?.joinCpuMs ?? null);
      add(scenario, 'late_join_thread_cpu_ms', 'ms', a.joinThreadMs, c?.joinThreadMs ?? null);
      add(scenario, 'longest_task_burst_ms', 'ms', a.burstTask.wall.ms, c?.burstTask.wall.ms ?? null);
      add(scenario, 'longest_task_burst_net_of_gc_ms', 'ms', a.burstTask.net.netMs, c?.burstTask.net.netMs ?? null);
      add(scenario, 'longest_task_burst_thread_cpu_ms', 'ms', a.burstTask.thread.threadMs, c?.burstTask.thread.threadMs ?? null);
      add(scenario, 'longest_task_after_burst_ms', 'ms', a.afterTask.wall.ms, c?.afterTask.wall.ms ?? null);
      add(scenario, 'longest_task_after_burst_net_of_gc_ms', 'ms', a.afterTask.net.netMs, c?.afterTask.net.netMs ?? null);
      // The process's CPU over that task: far below its wall time when the machine ran something else meanwhile.
      add(scenario, 'longest_task_after_burst_cpu_ms', 'ms', a.afterTask.wall.cpuMs, c?.afterTask.wall.cpuMs ?? null);
      // The longest by the module thread's own CPU time (Linux: its scheduler's count): what a replica
      // would spend on its own thread, without waits for a core or the process's GC helper threads.
      add(scenario, 'longest_task_after_burst_thread_cpu_ms', 'ms', a.afterTask.thread.threadMs, c?.afterTask.thread.threadMs ?? null);
    }
  }
  if (joinOnly) return rows;
  for (const items of quick ? [10_000] : [10_000, 100_000]) {
    const replicas = quick ? 5 : 10;
    const { array, collection } = await compareShapes(items, replicas, quick);
    const scenario = `items=${items} replicas=${replicas}`;
    add(`items=${items}`, 'host_us_per_intent', 'µs', array.originUs, collection.originUs);
    add(`items=${items}`, 'host_cpu_us_per_intent', 'µs', array.originCpuUs, collection.originCpuUs);
    add(scenario, 'e2e_ms_p50', 'ms', array.e2eP50Ms, collection.e2eP50Ms);
    add(scenario, 'e2e_ms_p99', 'ms', array.e2eP99Ms, collection.e2eP99Ms);
    add(scenario, 'bytes_per_intent', 'bytes', array.bytesPerAction, collection.bytesPerAction);
    add(`items=${items}`, 'replica_heap_mb', 'MB', array.replicaHeapMb, collection.replicaHeapMb);
  }
  return rows;
}

export function printBigRows(rows: BigRow[]) {
  const table = [['scenario', 'metric', 'array', 'collection'], ...rows.map((r) => [r.scenario, r.metric, String(r.array), String(r.collection ?? '—')])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)) + 2);
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('').trimEnd());
}

if (require.main === module) {
  assertDigestProbe()
    .then(() => bigStoreScenarios(process.argv.includes('--quick'), process.argv.includes('--join-only')))
    .then((rows) => {
      assertDigestChecksOn();
      printBigRows(rows);
    })
    .then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
}
