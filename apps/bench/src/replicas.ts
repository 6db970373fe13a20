// Every replica the bench makes comes from here, and counts: a replica that could not load its digest
// code runs with its digest checks off, so its figures would not measure what users run. The bench
// fails on any (`assertDigestChecksOn`) instead of writing such figures.
import { createReplica as createCoreReplica } from '@bgstore/core';

interface Counted {
  stats(): { digestLoadFailures: number };
}

let made = 0;
let failedClosed = 0;
const open = new Set<Counted>();

/** `createReplica` of `@bgstore/core`, counted: its digest load failures are read when it closes. */
export const createReplica: typeof createCoreReplica = (definition, options) => {
  const replica = createCoreReplica(definition, options);
  made++;
  open.add(replica);
  return {
    ...replica,
    close() {
      if (open.delete(replica) && replica.stats().digestLoadFailures > 0) failedClosed++;
      replica.close();
    },
  };
};

/** Counts replicas made elsewhere (the Forge adapter's, in module realms), read before their page closes. */
export function countReplicas(replicas: readonly Counted[]) {
  made += replicas.length;
  failedClosed += replicas.filter((r) => r.stats().digestLoadFailures > 0).length;
}

/** How many replicas the bench made so far, and how many of them could not load their digest code. */
export function digestLoads(): { replicas: number; failed: number } {
  return { replicas: made, failed: failedClosed + [...open].filter((r) => r.stats().digestLoadFailures > 0).length };
}

/** Throws a `[bench] …` error if any replica made so far ran with its digest checks off. */
export function assertDigestChecksOn() {
  const { replicas, failed } = digestLoads();
  if (failed === 0) return;
  throw new Error(
    `[bench] ${failed} of ${replicas} replicas could not load their digest code ('digest checks are off' above), so their figures do not measure what users run. ` +
      'Run the bench as `npm run bench` does: node -r ./register.js (plain -r esbuild-register leaves import() to the ESM resolver, which does not find the .ts sources).',
  );
}
