import { digest } from '@bgstore/protocol';

/** JSON with object keys sorted, so equal states give equal text whatever order keys were added in. */
function canonical(value: unknown, out: string[]): void {
  if (typeof value !== 'object' || value === null) {
    out.push(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i) out.push(',');
      canonical(value[i], out);
    }
    out.push(']');
    return;
  }
  out.push('{');
  const keys = Object.keys(value).sort();
  for (let i = 0; i < keys.length; i++) {
    if (i) out.push(',');
    out.push(JSON.stringify(keys[i]), ':');
    canonical((value as Record<string, unknown>)[keys[i]!], out);
  }
  out.push('}');
}

/**
 * A digest of a JSON state that ignores key order. The host sends it in a beat now and then; a
 * replica at the same version compares, and asks for a snapshot on a mismatch (a diverged replica
 * heals itself). O(state): computed at most once per version and interval.
 */
export function stateDigest(state: unknown): string {
  const cached = typeof state === 'object' && state !== null ? memo.get(state) : undefined;
  if (cached !== undefined) return cached;
  const out: string[] = [];
  canonical(state, out);
  const d = digest(out.join(''));
  if (typeof state === 'object' && state !== null) memo.set(state, d);
  return d;
}

// States are immutable: a digest computed once per state object holds for good.
const memo = new WeakMap<object, string>();
