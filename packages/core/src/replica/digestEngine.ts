// The code a replica's digest checks run, loaded with `import()` on the first digest beat
// (`createReplica`): a chunk of its own in a bundle that splits, so a feed's first load is smaller.
export { advanceDigest, digestIfReady } from '../state/stateDigest';
