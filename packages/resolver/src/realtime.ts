import { createHash } from 'node:crypto';
import { publishGlobal, signRealtimeToken } from '@forge/realtime';
import { jsonBytes, type RealtimeChange, type RealtimeGrant } from '@bgstore/protocol';
import { keptKey } from './installation';

// Changes arrive without asking: after each commit the resolver publishes what it changed on the
// document's own Realtime channel, and pages apply it on top of the revision it names. Only the
// resolver publishes: a page gets a subscribe-only token for the channel (with its load answer),
// and a token once signed for a channel protects it, so no page can publish there — what a page
// applies from Realtime came from a commit. Realtime costs one operation per publish, subscribe
// and token signing, 50 a second per installation: one publish per commit, one token per warm
// instance per document and hour (or per page load that asks, on cold instances), one subscribe
// per page load.

/** Options of {@link createChangeFeed}. */
export interface ChangeFeedOptions {
  /** A change whose JSON is larger than this is published without its patches (pages then ask). @default 8192 */
  maxPublishBytes?: number;
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
      const body: RealtimeChange = change.patches && jsonBytes(change.patches) > maxBytes ? { v: 1, store: change.store, base: change.base, revision: change.revision } : change;
      try {
        const result = await publishGlobal(channelOf(key), body as unknown as Record<string, unknown>);
        if (result.errors?.length) throw new Error(`publishGlobal answered ${messageOf(result.errors)}`);
      } catch (error) {
        onError(error);
      }
    },
  };
}
