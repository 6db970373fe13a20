// Types of scripts/bundle-size.js for the bench, which records its measurement (#20).
export interface AloneSize {
  entry: string;
  from: 'dist' | 'sources';
  min: number;
  gzip: number;
  byPackage: Record<string, number>;
  files: { min: number; gzip: number; byFile: Record<string, number> };
}
export interface BundleSizes {
  targetGzip: number;
  feed: AloneSize;
  background: AloneSize;
}
export const FEED_TARGET_BYTES: number;
export function measureBundles(source?: boolean): BundleSizes;
export function printBundles(m: BundleSizes): void;
