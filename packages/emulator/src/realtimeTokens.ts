import type { Clock } from './clock';

// A token is JWT-shaped (its body readable, as `@forge/realtime` reads it); the emulator knows the
// tokens it issued, which is what makes one valid (browser-safe: no crypto needed).

/** What a page may do on a channel, checked against the token it passes. */
export type RealtimePermission = 'subscribe' | 'publish';

interface TokenBody {
  channel: { name: string };
  claims?: unknown;
  permissions?: RealtimePermission[];
  iat: number;
  exp: number;
}

/** The Realtime tokens an installation signed, and the channels they keep for the app. */
export interface RealtimeTokens {
  /** Answers a `signRealtimeToken` mutation's variables with the GraphQL body Forge sends back. */
  sign(variables: Record<string, unknown>): unknown;
  /** Why `token` does not let a page do `permission` on `channel` (a refusal message), or undefined. */
  verify(token: unknown, channel: string, permission: RealtimePermission): string | undefined;
  /** True once a token was signed for `channel`: from then on it takes only pages that show one. */
  guards(channel: string): boolean;
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Creates the token book of one Realtime backend; `onSigned` runs for each token it signs. */
export function createRealtimeTokens(clock: Clock, ttl: number, onSigned: () => void): RealtimeTokens {
  const issued = new Map<string, TokenBody>();
  let serial = 0;
  const guarded = new Set<string>();

  function verify(token: unknown, channel: string, permission: RealtimePermission): string | undefined {
    if (typeof token !== 'string') return `channel '${channel}' is protected by a token; none was given`;
    const claims = issued.get(token);
    if (!claims) return 'INVALID_TOKEN: not a token this installation signed';
    if (claims.channel?.name !== channel) return 'CHANNEL_NAME_MISMATCH';
    if (clock.now() / 1000 >= claims.exp) return 'TOKEN_EXPIRED';
    if (claims.permissions && !claims.permissions.includes(permission)) return `MISSING_PERMISSION: the token does not grant '${permission}'`;
    return undefined;
  }

  function sign(variables: Record<string, unknown>) {
    const name = variables.channelName;
    if (typeof name !== 'string' || name === '') return { errors: [{ message: 'channelName is required' }] };
    const permissions = variables.permissions as RealtimePermission[] | undefined;
    if (permissions !== undefined && (!Array.isArray(permissions) || !permissions.every((p) => p === 'subscribe' || p === 'publish'))) return { errors: [{ message: `bad permissions ${JSON.stringify(permissions)}` }] };
    const iat = Math.floor(clock.now() / 1000);
    const body: TokenBody = { channel: { name }, claims: variables.claims, ...(permissions ? { permissions } : {}), iat, exp: iat + Math.ceil(ttl / 1000) };
    const unsigned = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(body))}`;
    guarded.add(name);
    onSigned();
    for (const [jwt, issuedBody] of issued) if (issuedBody.exp <= iat) issued.delete(jwt);
    const jwt = `${unsigned}.${b64(`emulated-signature-${++serial}`)}`;
    issued.set(jwt, body);
    return { data: { ecosystem: { signRealtimeToken: { success: true, errors: null, forgeRealtimeToken: { jwt, expiresAt: new Date(body.exp * 1000).toISOString() } } } } };
  }

  return { sign, verify, guards: (channel) => guarded.has(channel) };
}
