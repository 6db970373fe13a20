import type { Clock } from './clock';
import type { RealtimeHub } from './realtime';
import { createRealtimeTokens, type RealtimePermission } from './realtimeTokens';
import type { ForgeFetch } from './site';

export type { RealtimePermission } from './realtimeTokens';

// Forge Realtime's backend side, as `@forge/realtime` reaches it: the app's functions post GraphQL
// to `__forge_fetch__({type: 'realtime'}, '/')` to publish on a channel or to sign a channel token.
// Tokens are how an app keeps a channel its own: once a token is signed for a channel name, pages
// may subscribe to it only with a token for it that grants `subscribe`, and publish only with one
// that grants `publish`. The app's own functions publish without one (they act as the app).
// Emulated: global channels (`publishGlobal`) only, tokens checked when a page subscribes or
// publishes (not again while a subscription lasts); `claims` are kept in the token, not matched.
// How tokens are made and checked: realtimeTokens.ts.

/** Options of {@link createRealtimeBackend}. */
export interface RealtimeBackendOptions {
  hub: RealtimeHub;
  /** The installation whose global channels the backend publishes on (`realtimeScope({isGlobal})`). */
  installation: string;
  clock: Clock;
  /** How long a signed token is valid. @default 3_600_000 (an hour) */
  tokenTtlMs?: number;
  /**
   * Asked before each token signing (one Realtime operation; publishes are the hub's to count):
   * false answers 429 Too Many Requests, as Forge does past 50 operations/s per installation.
   */
  admitSign?: () => boolean;
}

/** Counts of the backend's Realtime traffic and refusals. */
export interface RealtimeBackendStats {
  /** Publishes from the app's functions. */
  published: number;
  tokensSigned: number;
  /** Page publishes and subscribes refused for a missing or wrong token. */
  refusedPublishes: number;
  refusedSubscribes: number;
}

/** The emulated Forge Realtime backend: GraphQL publish and token signing, and the token checks pages pass. */
export interface RealtimeBackend {
  /**
   * A `__forge_fetch__` that answers `{type: 'realtime'}` calls and hands every other call to
   * `next` (e.g. the KVS fetch), so `@forge/realtime` and `@forge/kvs` share one global.
   */
  route(next?: ForgeFetch): ForgeFetch;
  /**
   * Why a page may not do `permission` on `channel` with `token` (a refusal message), or undefined
   * when it may: always on a channel no token was ever signed for.
   */
  check(channel: string, permission: RealtimePermission, token: unknown): string | undefined;
  stats(): RealtimeBackendStats;
}

const GRAPHQL_HEADERS = { 'content-type': 'application/json' };

/** Creates a {@link RealtimeBackend} over a site's realtime hub. */
export function createRealtimeBackend(options: RealtimeBackendOptions): RealtimeBackend {
  const ttl = options.tokenTtlMs ?? 3_600_000;
  const stats: RealtimeBackendStats = { published: 0, tokensSigned: 0, refusedPublishes: 0, refusedSubscribes: 0 };
  const tokens = createRealtimeTokens(options.clock, ttl, () => stats.tokensSigned++);

  function publish(variables: Record<string, unknown>) {
    const name = variables.name;
    if (typeof name !== 'string' || name === '') return { errors: [{ message: 'name is required' }] };
    if (variables.isGlobal !== true) return { errors: [{ message: '[emulator] only publishGlobal is emulated for functions' }] };
    if (variables.token !== undefined && variables.token !== null) {
      const refusal = tokens.verify(variables.token, name, 'publish');
      if (refusal) return { errors: [{ message: `Realtime token validation failed: ${refusal}` }] };
    }
    let payload: unknown;
    try {
      payload = typeof variables.payload === 'string' ? (JSON.parse(variables.payload) as unknown) : variables.payload;
    } catch {
      return { errors: [{ message: 'payload is not JSON' }] };
    }
    const { eventId, eventTimestamp } = options.hub.publish(`${options.installation}|global`, name, payload);
    stats.published++;
    return { data: { ecosystem: { publishRealtimeChannel: { eventId, eventTimestamp } } } };
  }

  const answer = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: GRAPHQL_HEADERS });

  return {
    route(next) {
      return async (context, path, init) => {
        if ((context as { type?: unknown } | null)?.type !== 'realtime') {
          if (!next) throw new TypeError('[emulator] no storage behind this __forge_fetch__');
          return next(context, path, init);
        }
        let request: { query?: unknown; variables?: Record<string, unknown> };
        try {
          request = JSON.parse(init.body ?? '') as typeof request;
        } catch {
          return new Response('bad request', { status: 400, statusText: 'Bad Request' });
        }
        const query = typeof request.query === 'string' ? request.query : '';
        const variables = request.variables ?? {};
        if (/mutation\s+signRealtimeToken/.test(query)) {
          if (options.admitSign && !options.admitSign()) return new Response('', { status: 429, statusText: 'Too Many Requests' });
          return answer(tokens.sign(variables));
        }
        if (/mutation\s+publishRealtimeChannel/.test(query)) {
          try {
            return answer(publish(variables));
          } catch (error) {
            // The hub refuses a publish past the installation's Realtime quota: Forge answers 429.
            if ((error as { status?: unknown } | null)?.status === 429) return new Response('', { status: 429, statusText: 'Too Many Requests' });
            throw error;
          }
        }
        return answer({ errors: [{ message: '[emulator] this Realtime operation is not emulated' }] });
      };
    },
    check(channel, permission, token) {
      if (!tokens.guards(channel)) return undefined;
      const refusal = tokens.verify(token, channel, permission);
      if (refusal) stats[permission === 'publish' ? 'refusedPublishes' : 'refusedSubscribes']++;
      return refusal;
    },
    stats: () => ({ ...stats }),
  };
}
