// Which resolver a Forge SQL bench scenario runs (#19): this checkout's, or an older copy's, side by side in one run.
import { resolve } from 'node:path';
import { registerStores } from '@bgstore/resolver';
import { sqlStorage } from '@bgstore/resolver/sql';

/** The resolver a scenario runs: this checkout's, or an older copy's to compare with in the same run. */
export interface Release {
  label: string;
  registerStores: typeof registerStores;
  sqlStorage: typeof sqlStorage;
  /** Answers lose `gapMs`: pages keep their own gap (to tell what the told gap does). */
  untold?: boolean;
}

export const CURRENT: Release = { label: '', registerStores, sqlStorage };

/**
 * `BGSTORE_BENCH_SQL_BASELINE=<dir>`: a copy of an older `packages/resolver/src` (e.g. `git archive
 * <commit> packages/resolver/src` under `apps/bench/src/scratch-…`, which git ignores) whose contention
 * scenarios run too, each just before this checkout's, labelled "(before)": before/after on one
 * machine's load. Its hosts are this checkout's.
 */
export function baseline(): Release | undefined {
  const dir = process.env.BGSTORE_BENCH_SQL_BASELINE;
  if (!dir) return undefined;
  const load = (path: string) => require(resolve(dir, path)) as Record<string, unknown>;
  return { label: ' (before)', registerStores: load('index.ts').registerStores as typeof registerStores, sqlStorage: load('sql/index.ts').sqlStorage as typeof sqlStorage };
}

