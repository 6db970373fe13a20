import { createHash } from 'node:crypto';
import { publishGlobal, signRealtimeToken } from '@forge/realtime';
import { jsonBytes, type RealtimeChange, type RealtimeGrant } from '@bgstore/protocol';
import { keptKey } from './installation';
import type { DocChanges } from './storage/port';

// Changes arrive without asking: after each commit the resolver publishes what it changed on the
// document's own Realtime channel, and pages apply it on top of the revision it names. Only the
// resolver publishes: a page gets a subscribe-only token for the channel (with its load answer),
// and a token once signed for a channel protects it, so no page can publish there — what a page
// applies from Realtime came from a commit. Realtime costs one operation per publish, subscribe
// and token signing, 50 a second per installation: one publish per commit, one token per warm
// instance per document and hour (or per page load that asks, on cold instances), one subscribe
// per page load.
// Publishes are coalesced (#17): a document is published at most once per `publishEveryMs`, across
// every function instance — the head keeps the last published revision and when, written by the
// commit's own transaction — and a publish carries every change since the last published revision,
// with `marks` saying where each revision's patches start, so a page at any revision in between
// applies the rest. A commit left unpublished reaches pages with the next publish, or, when none
// follows, because its writer's page asks (`publishSince`, one call at the end of a burst).

/** Options of {@link createChangeFeed}. */
export interface ChangeFeedOptions {
  /** A change whose JSON is larger than this is published without its patches (pages then ask). @default 8192 */
  maxPublishBytes?: number;
  /** A document is published at most once per this many ms; commits in between ride on the next publish. @default 250 */
  publishEveryMs?: number;
  now: () => number;
  /** Called with what went wrong when publishing or signing fails (neither fails a commit or a load). @default warns once */
  onError?: (error: unknown) => void;
}

/** Publishes each document's commits, and grants pages subscribe-only tokens for its channel. */
export interface ChangeFeed {
  /** The document's channel and a subscribe-only token for it; undefined when Realtime is unavailable. */
  grant(key: string): Promise<RealtimeGrant | undefined>;
  /** Publishes a committed change on the document's channel (best effort: failures are reported, not thrown). */
  publish(key: string, change: RealtimeChange): Promise<void>;
  readonly publishEveryMs: number;
}

/**
 * Where each revision between `base` and the changes' revision starts in their patches, from the
 * patches each revision made (`DocChanges.steps`); none when the backend does not tell.
 */
function marksOf(base: number, steps: readonly number[] | undefined, revision: number): [number, number][] {
  if (!steps || steps.length !== revision - base) return [];
  const marks: [number, number][] = [];
  let offset = 0;
  for (let k = 0; k < steps.length - 1; k++) marks.push([base + k + 1, (offset += steps[k]!)]);
  return marks;
}

/** The change since `since` as a publish: its patches, and where each revision in between starts. */
export function changeOf(store: string, since: number, changes: DocChanges): RealtimeChange {
  const marks = marksOf(since, changes.steps, changes.revision);
  return { v: 1, store, base: since, revision: changes.revision, patches: changes.patches, ...(marks.length ? { marks } : {}) };
}

/**
 * What a commit publishes: its own change, preceded by every change since the last published
 * revision (`earlier`, read from storage's log) when storage still has them.
 */
export function withEarlier(change: RealtimeChange, earlier: DocChanges | undefined, since: number | undefined): RealtimeChange {
  if (since === undefined || !change.patches || !earlier || earlier.revision !== change.base) return change;
  const marks: [number, number][] = [...marksOf(since, earlier.steps, earlier.revision), [change.base, earlier.patches.length]];
  return { ...change, base: since, patches: [...earlier.patches, ...change.patches], marks };
}

/** A kept token is handed out while it has at least this long to live. */
const REUSE_MARGIN_MS = 10 * 60_000;

/** The document's channel: a digest of its key, so the channel name tells nothing of the scope. */
export const channelOf = (key: string) => `bgstore-${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;

const expiryOf = (raw: unknown): number | undefined => {
  const at = typeof raw === 'number' ? (raw < 1e12 ? raw * 1000 : raw) : typeof raw === 'string' ? Date.parse(raw) : NaN;
  return Number.isFinite(at) ? at : undefined;
};

const messageOf = (errors: unknown) => JSON.stringify(errors).slice(0, 300);

/** Creates a {@link ChangeFeed} over `@forge/realtime`. */
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const maxBytes = options.maxPublishBytes ?? 8192;
  const publishEveryMs = options.publishEveryMs ?? 250;
  const tokens = new Map<string, RealtimeGrant>();
  let warned = false;
  const onError =
    options.onError ??
    ((error: unknown) => {
      if (warned) return;
      warned = true;
      console.warn(`[bgstore] Realtime is unavailable to the resolver; pages fall back to checking storage: ${error instanceof Error ? error.message : String(error)}`);
    });
  return {
    publishEveryMs,
    async grant(key) {
      const channel = channelOf(key);
      // A token is kept per installation: the same channel name in another site is another channel.
      const slot = keptKey(channel);
      const kept = tokens.get(slot);
      if (kept && kept.expiresAt - options.now() > REUSE_MARGIN_MS) return kept;
      try {
        const signed = await signRealtimeToken(channel, { channel }, ['subscribe']);
        const expiresAt = expiryOf(signed.expiresAt);
        if (!signed.token || expiresAt === undefined) throw new Error(`signRealtimeToken answered ${messageOf(signed.errors ?? signed)}`);
        const grant: RealtimeGrant = { channel, token: String(signed.token), expiresAt };
        tokens.set(slot, grant);
        // A warm instance serves a handful of documents; keep the tokens of the latest few.
        if (tokens.size > 16) tokens.delete(tokens.keys().next().value!);
        return grant;
      } catch (error) {
        onError(error);
        return undefined;
      }
    },
    async publish(key, change) {
      const body: RealtimeChange = change.patches && jsonBytes(change) > maxBytes ? { v: 1, store: change.store, base: change.base, revision: change.revision } : change;
      try {
        const result = await publishGlobal(channelOf(key), body as unknown as Record<string, unknown>);
        if (result.errors?.length) throw new Error(`publishGlobal answered ${messageOf(result.errors)}`);
      } catch (error) {
        onError(error);
      }
    },
  };
}
