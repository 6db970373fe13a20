import type { BusMember } from './bus';
import type { Clock } from './clock';
import { defaultExtensionContext } from './contexts';
import type { ResolverHandler } from './invoke';
import type { RealtimeSubscription } from './realtime';
import type { Site } from './site';
import type { ForgeDoc } from './uikit';

/** The function a module's `@forge/bridge` calls for everything: `callBridge(method, args)`. */
export type CallBridge = (method: string, args?: unknown) => unknown;

/** A JS realm running one module's bundle (a Node `vm` context, or an iframe in a browser). */
export interface Realm {
  /** What the module's entry exports. */
  exports: unknown;
  /** Makes the realm inert: timers cleared, no more work. */
  dispose(): void;
  /**
   * Parses JSON into the realm's own objects, as `postMessage` into a frame does. Without it,
   * payloads are parsed in the page's realm.
   */
  parseJson?(text: string): unknown;
}

/** Makes a realm for a module; the page passes the module's `callBridge`, installed before the entry runs. */
export type RealmFactory = (options: {
  name: string;
  entry: string;
  callBridge: CallBridge;
  clock: Clock;
  /** Receives errors the module's own callbacks throw (timers, microtasks), as a frame's `window.onerror`. */
  onError: (error: unknown) => void;
  /** Extra globals from the module spec. */
  globals?: Record<string, unknown>;
}) => Promise<Realm>;

/** One UI module of the app on the page. */
export interface ModuleSpec {
  /** Manifest module key, e.g. `bgstore-background`. */
  key: string;
  /** Manifest module type, e.g. `confluence:backgroundScript`. */
  type: string;
  /** The module's entry (a source file for Node realms). */
  entry: string;
  /** The handler of the module's `resolver.function`, as `new Resolver().getDefinitions()` returns it. */
  resolver?: ResolverHandler;
  /**
   * Extension context on top of the module type's default (see `defaultExtensionContext`: the
   * issue and project for Jira issue view modules, content and space for Confluence content
   * modules…), e.g. `{ content: { id: '42', type: 'page' } }`.
   */
  extension?: Record<string, unknown>;
  /** Extra globals for the module's realm (test hooks); Forge itself gives modules none. */
  globals?: Record<string, unknown>;
}

/** The page's record of one running (or stopped) module instance; `ModuleHandle` is its public face. */
export interface ModuleInstance {
  member: BusMember;
  realm?: Realm;
  tree?: ForgeDoc;
  waiters: Set<() => void>;
  realtime: Set<RealtimeSubscription>;
  errors: unknown[];
  context: Record<string, unknown>;
  alive: boolean;
}

/**
 * A fresh, alive instance of `spec` with the `FullContext` its `view.getContext()` returns. Its bus
 * member parses payloads with the realm's own `JSON.parse` once the realm exists.
 */
export function createModuleInstance(site: Site, accountId: string | undefined, spec: ModuleSpec, instanceId: string): ModuleInstance {
  const inst: ModuleInstance = {
    member: { id: instanceId, moduleKey: spec.key, appId: site.appId, parse: (json) => (inst.realm?.parseJson ?? JSON.parse)(json) },
    waiters: new Set(),
    realtime: new Set(),
    errors: [],
    context: contextOf(site, accountId, spec, `${site.appId}/${site.environmentId}/${spec.key}/${instanceId}`),
    alive: true,
  };
  return inst;
}

function contextOf(site: Site, accountId: string | undefined, spec: ModuleSpec, localId: string): Record<string, unknown> {
  return {
    ...(accountId ? { accountId } : {}),
    cloudId: site.cloudId,
    siteUrl: site.siteUrl,
    environmentId: site.environmentId,
    environmentType: site.environmentType,
    localId,
    locale: 'en-US',
    timezone: 'UTC',
    moduleKey: spec.key,
    extension: { type: spec.type, ...defaultExtensionContext(spec.type), ...spec.extension },
    theme: null,
    ...(site.license ? { license: site.license } : {}),
  };
}

/** `value` as an object of the instance's realm (`undefined` stays `undefined`), as `postMessage` delivers it. */
export function toRealmOf(inst: ModuleInstance, value: unknown): unknown {
  return value === undefined ? undefined : inst.member.parse!(JSON.stringify(value));
}
