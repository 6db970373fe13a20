// Whether a replica can load its digest code under the bench's loader: run by the bench before
// anything is measured (so a wrong loader fails it in its first second, not after every section),
// and alone by its test:
//   node --conditions=@bgstore/source -r ./register.js src/digestProbe.ts
import type { Transport } from '@bgstore/core';
import { downEvent, encodeMessage } from '@bgstore/protocol';
import { assertDigestChecksOn, createReplica } from './replicas';
import { benchStore, makeState } from './systems';

const EPOCH = '1000.probe';

export interface ProbeCounters {
  digestMismatches: number;
  digestLoadFailures: number;
}

/**
 * A replica given a snapshot, then a beat whose digest is not its state's: only a replica that loaded
 * its digest code and checked the beat counts the mismatch. Resolves with its counters once it
 * counted either that or a failed load.
 */
export async function probeDigest(): Promise<ProbeCounters> {
  const handlers = new Map<string, (payload: unknown) => void>();
  const transport: Transport = { emit: () => undefined, on: (event, handler) => (handlers.set(event, handler), () => handlers.delete(event)) };
  const replica = createReplica(benchStore(0), { transport, retryMs: 600_000, helloMinMs: 600_000, helloMaxMs: 600_000 });
  const down = (message: Parameters<typeof encodeMessage>[0]) => handlers.get(downEvent('bench'))?.(JSON.parse(JSON.stringify(encodeMessage(message))));
  try {
    down({ bgstore: 2, store: 'bench', from: EPOCH, type: 'snapshot', epoch: EPOCH, version: 0, state: makeState(3), to: replica.clientId });
    if (replica.sync.getState().phase !== 'live') throw new Error('[bench] digest probe: the replica did not take its snapshot');
    down({ bgstore: 2, store: 'bench', from: EPOCH, type: 'beat', epoch: EPOCH, version: 0, digest: 'forged' });
    // A hang guard, not a time budget: the check takes a few event-loop turns.
    for (let turn = 0; turn < 1000; turn++) {
      const { digestMismatches, digestLoadFailures } = replica.stats();
      if (digestMismatches + digestLoadFailures > 0) return { digestMismatches, digestLoadFailures };
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('[bench] digest probe: the replica neither checked the beat nor failed to load its digest code');
  } finally {
    replica.close();
  }
}

/** Throws a `[bench] …` error unless a replica loads its digest code and checks a beat with it; else its counters. */
export async function assertDigestProbe(): Promise<ProbeCounters> {
  const counters = await probeDigest();
  assertDigestChecksOn();
  if (counters.digestMismatches !== 1) throw new Error(`[bench] digest probe: a forged digest was not caught (${JSON.stringify(counters)})`);
  return counters;
}

if (require.main === module) {
  assertDigestProbe().then(
    (counters) => {
      console.log(JSON.stringify(counters));
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
