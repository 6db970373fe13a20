import type { Clock } from './clock';
import type { RealtimeHub } from './realtime';
import type { ForgeFetch } from './site';

// Forge Realtime's backend side, as `@forge/realtime` reaches it: the app's functions post GraphQL
// to `__forge_fetch__({type: 'realtime'}, '/')` to publish on a channel or to sign a channel token.
// Tokens are how an app keeps a channel its own: once a token is signed for a channel name, pages
// may subscribe to it only with a token for it that grants `subscribe`, and publish only with one
// that grants `publish`. The app's own functions publish without one (they act as the app).
// Emulated: global channels (`publishGlobal`) only, tokens checked when a page subscribes or
// publishes (not again while a subscription lasts); `claims` are kept in the token, not matched.
// A token is JWT-shaped (its body readable, as `@forge/realtime` reads it); the emulator knows the
// tokens it issued, which is what makes one valid (browser-safe: no crypto needed).

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

/** What a page may do on a channel, checked against the token it passes. */
export type RealtimePermission = 'subscribe' | 'publish';

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

interface TokenBody {
  channel: { name: string };
  claims?: unknown;
  permissions?: RealtimePermission[];
  iat: number;
  exp: number;
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const GRAPHQL_HEADERS = { 'content-type': 'application/json' };

/** Creates a {@link RealtimeBackend} over a site's realtime hub. */
export function createRealtimeBackend(options: RealtimeBackendOptions): RealtimeBackend {
  const issued = new Map<string, TokenBody>();
  let serial = 0;
  const ttl = options.tokenTtlMs ?? 3_600_000;
  const guarded = new Set<string>();
  const stats: RealtimeBackendStats = { published: 0, tokensSigned: 0, refusedPublishes: 0, refusedSubscribes: 0 };

  function verify(token: unknown, channel: string, permission: RealtimePermission): string | undefined {
    if (typeof token !== 'string') return `channel '${channel}' is protected by a token; none was given`;
    const claims = issued.get(token);
    if (!claims) return 'INVALID_TOKEN: not a token this installation signed';
    if (claims.channel?.name !== channel) return 'CHANNEL_NAME_MISMATCH';
    if (options.clock.now() / 1000 >= claims.exp) return 'TOKEN_EXPIRED';
    if (claims.permissions && !claims.permissions.includes(permission)) return `MISSING_PERMISSION: the token does not grant '${permission}'`;
    return undefined;
  }

  function signToken(variables: Record<string, unknown>) {
    const name = variables.channelName;
    if (typeof name !== 'string' || name === '') return { errors: [{ message: 'channelName is required' }] };
    const permissions = variables.permissions as RealtimePermission[] | undefined;
    if (permissions !== undefined && (!Array.isArray(permissions) || !permissions.every((p) => p === 'subscribe' || p === 'publish'))) return { errors: [{ message: `bad permissions ${JSON.stringify(permissions)}` }] };
    const iat = Math.floor(options.clock.now() / 1000);
    const body: TokenBody = { channel: { name }, claims: variables.claims, ...(permissions ? { permissions } : {}), iat, exp: iat + Math.ceil(ttl / 1000) };
    const unsigned = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(body))}`;
    guarded.add(name);
    stats.tokensSigned++;
    for (const [jwt, issuedBody] of issued) if (issuedBody.exp <= iat) issued.delete(jwt);
    const jwt = `${unsigned}.${b64(`emulated-signature-${++serial}`)}`;
    issued.set(jwt, body);
    return { data: { ecosystem: { signRealtimeToken: { success: true, errors: null, forgeRealtimeToken: { jwt, expiresAt: new Date(body.exp * 1000).toISOString() } } } } };
  }

  function publish(variables: Record<string, unknown>) {
    const name = variables.name;
    if (typeof name !== 'string' || name === '') return { errors: [{ message: 'name is required' }] };
    if (variables.isGlobal !== true) return { errors: [{ message: '[emulator] only publishGlobal is emulated for functions' }] };
    if (variables.token !== undefined && variables.token !== null) {
      const refusal = verify(variables.token, name, 'publish');
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
          return answer(signToken(variables));
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
      if (!guarded.has(channel)) return undefined;
      const refusal = verify(token, channel, permission);
      if (refusal) stats[permission === 'publish' ? 'refusedPublishes' : 'refusedSubscribes']++;
      return refusal;
    },
    stats: () => ({ ...stats }),
  };
}
