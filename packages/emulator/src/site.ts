import { createRealClock, type Clock } from './clock';
import { meterForgeFetch } from './kvs/quota';
import { createQuotaMeter, type ForgeQuotas, type QuotaMeter } from './quota';
import { createRandom, type Random } from './random';
import { createRealtimeHub, type RealtimeHub } from './realtime';
import { createRealtimeBackend, type RealtimeBackend } from './realtimeBackend';

/** The signature of `global.__forge_fetch__`, through which `@forge/kvs` reaches storage. */
export type ForgeFetch = (context: unknown, path: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<Response>;

/** Options for {@link createSite}. */
export interface SiteOptions {
  /** @default the real clock */
  clock?: Clock;
  /** Seed of every random choice the emulator makes (faults, start order). @default 1 */
  seed?: number;
  /** The storage backend `@forge/kvs` talks to, e.g. `createKvsFetch()`. */
  forgeFetch?: ForgeFetch;
  /** @default 'emulated-cloud' */
  cloudId?: string;
  /** @default 'https://emulated.atlassian.net' */
  siteUrl?: string;
  /** @default 'ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000' */
  appId?: string;
  /** The app's installation on the site (another after a reinstall, with fresh storage). @default `emulated-installation-<cloudId>` */
  installationId?: string;
  /** @default 'DEVELOPMENT' */
  environmentType?: 'DEVELOPMENT' | 'STAGING' | 'PRODUCTION';
  /** License details passed to resolvers; absent by default, as outside paid production apps. */
  license?: Record<string, unknown>;
  /** The product the app is installed in, which names the installation context. @default 'confluence' */
  product?: 'confluence' | 'jira';
  /**
   * Forge's per-installation quotas (KVS requests and units, invocations, Realtime operations):
   * `true` enforces them (429 `RATE_LIMIT_EXCEEDED` past a limit), `false` only counts them in
   * `site.quota`, an object enforces overridden limits. Use is metered either way.
   * @default true
   */
  quotas?: boolean | { enforce?: boolean; limits?: Partial<ForgeQuotas> };
}

/**
 * One app installation on one site: what every page of it shares — storage, realtime, per-user
 * rate limits, identity. Pages (tabs, users) are made from a site.
 */
export interface Site {
  readonly clock: Clock;
  readonly random: Random;
  readonly realtime: RealtimeHub;
  /** Realtime as the app's functions reach it (`@forge/realtime`), and the channel tokens pages must show. */
  readonly realtimeBackend: RealtimeBackend;
  readonly cloudId: string;
  readonly siteUrl: string;
  readonly appId: string;
  readonly environmentId: string;
  readonly environmentType: 'DEVELOPMENT' | 'STAGING' | 'PRODUCTION';
  readonly installContext: string;
  readonly installationId: string;
  readonly license: Record<string, unknown> | undefined;
  /** The installation's quota meter: what every page of it used, and the windows left. */
  readonly quota: QuotaMeter;
  /** The storage `__forge_fetch__`, behind the installation's quota meter. */
  readonly forgeFetch: ForgeFetch | undefined;
  /**
   * Points `target.__forge_fetch__` at this site's storage, so the real `@forge/kvs` loaded in
   * `target` (a Node process, a realm) uses it, and `@forge/realtime` this site's Realtime backend
   * (with a `__forge_runtime__` naming the installation). Returns a function that restores both.
   */
  installForgeFetch(target?: Record<string, unknown>): () => void;
}

/** Creates a {@link Site}. */
export function createSite(options: SiteOptions = {}): Site {
  const cloudId = options.cloudId ?? 'emulated-cloud';
  const clock = options.clock ?? createRealClock();
  const q = typeof options.quotas === 'object' ? options.quotas : { enforce: options.quotas ?? true };
  const quota = createQuotaMeter({ clock, enforce: q.enforce ?? true, limits: q.limits });
  const forgeFetch = options.forgeFetch && meterForgeFetch(options.forgeFetch, quota);
  const realtime = createRealtimeHub({ quota });
  const installationId = options.installationId ?? `emulated-installation-${cloudId}`;
  const appId = options.appId ?? 'ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000';
  // Signing a token is one of the installation's Realtime operations too (publishes are the hub's).
  const realtimeBackend = createRealtimeBackend({ hub: realtime, installation: installationId, clock, admitSign: () => quota.realtime('sign').ok });
  return {
    clock,
    random: createRandom(options.seed ?? 1),
    realtime,
    realtimeBackend,
    quota,
    cloudId,
    siteUrl: options.siteUrl ?? 'https://emulated.atlassian.net',
    appId,
    environmentId: 'emulated-environment',
    environmentType: options.environmentType ?? 'DEVELOPMENT',
    installContext: `ari:cloud:${options.product ?? 'confluence'}::site/${cloudId}`,
    installationId,
    license: options.license,
    forgeFetch,
    installForgeFetch(target = globalThis as unknown as Record<string, unknown>) {
      if (!forgeFetch) throw new Error('[emulator] this site has no storage: pass `forgeFetch` (e.g. createKvsFetch()) to createSite');
      const previous = { fetch: target.__forge_fetch__, runtime: target.__forge_runtime__ };
      target.__forge_fetch__ = realtimeBackend.route(forgeFetch);
      target.__forge_runtime__ = { appContext: { installationId, appId, environmentId: 'emulated-environment' }, realtime: { contextToken: 'emulated-context-token' } };
      return () => {
        target.__forge_fetch__ = previous.fetch;
        target.__forge_runtime__ = previous.runtime;
      };
    },
  };
}
