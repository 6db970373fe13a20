import type { EventBus } from './bus';
import type { Invoker } from './invoke';
import { toRealmOf, type CallBridge, type ModuleInstance, type ModuleSpec } from './moduleInstance';
import { QuotaExceededError } from './quota';
import { realtimeScope } from './realtime';
import type { Site } from './site';
import type { ForgeDoc } from './uikit';

/** What a module's bridge routes to: the page's bus, invoker and site. */
export interface BridgeTargets {
  site: Site;
  bus: EventBus;
  invoker: Invoker;
  accountId: string | undefined;
  onReconcile?: (moduleKey: string, tree: ForgeDoc | undefined) => void;
}

const BENIGN = new Set(['emitReadyEvent', 'enableTheming', 'getFrameId', 'changeWindowTitle', 'emitFrontendCustomMetric', 'trackObjectStoreAction']);

/**
 * The `callBridge` a module instance's `@forge/bridge` calls: events go to the bus, `invoke` to the
 * invoker, realtime to the site's hub. Once the instance is stopped, every call hangs, as in a removed frame.
 */
export function createModuleBridge(targets: BridgeTargets, inst: ModuleInstance, spec: ModuleSpec): CallBridge {
  const { site, bus, invoker, accountId } = targets;
  const toRealm = (value: unknown) => toRealmOf(inst, value);
  return (method, rawArgs) => {
    if (!inst.alive) return new Promise(() => undefined);
    const args = (rawArgs ?? {}) as Record<string, unknown>;
    switch (method) {
      case 'emit':
      case 'emitPublic':
        bus.emit(inst.member, args.event as string, args.payload, method === 'emitPublic');
        return Promise.resolve();
      case 'on':
      case 'onPublic':
        return Promise.resolve(bus.subscribe(inst.member, args.event as string, args.callback as (p: unknown) => unknown, method === 'onPublic'));
      case 'invoke': {
        if (typeof args.path === 'string') return Promise.reject(new Error('[emulator] invokeRemote/invokeService are not emulated'));
        const call = invoker.invoke({
          functionKey: args.functionKey,
          payload: args.payload,
          context: withoutAccount(inst.context),
          moduleKey: spec.key,
          accountId,
          handler: spec.resolver,
          runtime: { installContext: site.installContext, license: site.license, installation: { ari: site.installationId, contexts: [site.installContext] } },
        });
        return call.then((body) => toRealm(args.metadata ? { body, metadata: responseMetadata(targets, args.metadata) } : body));
      }
      case 'getContext':
        return Promise.resolve(toRealm(inst.context));
      case 'reconcile':
        inst.tree = (args as { forgeDoc?: ForgeDoc }).forgeDoc;
        for (const w of [...inst.waiters]) w();
        targets.onReconcile?.(spec.key, inst.tree);
        return undefined;
      case 'onError':
        inst.errors.push(args.error);
        return undefined;
      case 'publishRealtimeChannel':
      case 'subscribeRealtimeChannel':
        // Past the installation's Realtime quota a subscribe rejects and a publish resolves with `errors`.
        return new Promise((resolve) => resolve(realtimeCall(site, inst, spec, method, args)));
      default:
        if (BENIGN.has(method)) return Promise.resolve(undefined);
        return Promise.reject(new Error(`[emulator] callBridge('${method}') is not emulated; supported: emit, on, emitPublic, onPublic, invoke, getContext, reconcile, onError, publishRealtimeChannel, subscribeRealtimeChannel`));
    }
  };
}

/** What the bridge's `invoke` metadata asked for: `{rateLimitProperties: true}` gets the invocation windows left. */
function responseMetadata({ site, accountId }: BridgeTargets, asked: unknown): Record<string, unknown> {
  const wants = typeof asked === 'object' && asked !== null && (asked as { rateLimitProperties?: unknown }).rateLimitProperties === true;
  return wants ? { rateLimitProperties: site.quota.rateLimitProperties(accountId) } : {};
}

function realtimeCall(site: Site, inst: ModuleInstance, spec: ModuleSpec, method: string, args: Record<string, unknown>): unknown {
  // A channel a function signed a token for takes only pages that show one for it (realtimeBackend.ts).
  const publishing = method === 'publishRealtimeChannel';
  const refused = site.realtimeBackend.check(String(args.channelName), publishing ? 'publish' : 'subscribe', (args.options as { token?: unknown } | undefined)?.token);
  if (refused && publishing) return { eventId: null, eventTimestamp: null, errors: [{ message: `Realtime token validation failed: ${refused}` }] };
  if (refused) throw new Error(`[emulator] realtime.subscribe('${String(args.channelName)}') refused: ${refused}`);
  const scope = realtimeScope({ installation: site.installationId, moduleKey: spec.key, context: inst.context, isGlobal: Boolean(args.isGlobal) });
  if (method === 'publishRealtimeChannel') {
    try {
      return site.realtime.publish(scope, String(args.channelName), args.eventPayload);
    } catch (error) {
      // Forge's PublishResult carries an `errors` list: a refused publish resolves with it.
      if (error instanceof QuotaExceededError) return { eventId: null, eventTimestamp: null, errors: [`${error.code}: ${error.message}`] };
      throw error;
    }
  }
  const sub = site.realtime.subscribe(scope, String(args.channelName), (payload) => {
    if (inst.alive) (args.onEvent as (p: unknown) => void)(typeof payload === 'string' ? payload : toRealmOf(inst, payload));
  });
  inst.realtime.add(sub);
  return sub;
}

function withoutAccount(context: Record<string, unknown>): Record<string, unknown> {
  const { accountId: _accountId, ...rest } = context;
  return rest;
}
