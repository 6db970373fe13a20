// Types of scripts/bundle-size.js for the bench, which records its measurement (#20).
export interface AloneSize {
  entry: string;
  from: 'dist' | 'sources';
  min: number;
  gzip: number;
  byPackage: Record<string, number>;
  files: { min: number; gzip: number; byFile: Record<string, number> };
  /** Chunks loaded later by `import()` (`min`, `gzip` above are the initial load only). */
  lazy: { chunks: number; min: number; gzip: number; byFile: Record<string, number> };
  /** Initial and lazy together (each file gzipped on its own). */
  total: { min: number; gzip: number };
}
export interface BundleSizes {
  targetGzip: number;
  feed: AloneSize;
  background: AloneSize;
}
export const FEED_TARGET_BYTES: number;
export function measureBundles(source?: boolean): BundleSizes;
export function printBundles(m: BundleSizes): void;
