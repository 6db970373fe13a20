// @bgstore/emulator — browser-safe entry: routing, invoke, storage and UI Kit helpers.
// Node-only pieces (vm realms, the on-disk store) are in '@bgstore/emulator/node'.
export { createEventBus } from './bus';
export type { BusMember, BusStats, DeliveryRecord, EventBus, EventBusOptions, Subscription } from './bus';
export { createManualClock, createRealClock } from './clock';
export type { Clock, ManualClock, TimerHandle } from './clock';
export { planDelivery } from './faults';
export type { DeliveryPlan, EventFaults, LinkFaults } from './faults';
export { createInvokeFaults, createInvoker, FORGE_INVOKE_LIMITS, InvokeError } from './invoke';
export type { InvokeCall, InvokeErrorCode, InvokeFault, InvokeFaults, InvokeLimits, InvokeStats, Invoker, ResolverEvent, ResolverHandler, ResolverRuntime } from './invoke';
export { createPage } from './page';
export type { CallBridge, ModuleHandle, ModuleSpec, Page, PageOptions, Realm, RealmFactory } from './page';
export { createRandom } from './random';
export type { Random } from './random';
export { createRealtimeHub, realtimeScope } from './realtime';
export type { RealtimeHub, RealtimeOptions, RealtimeSubscription } from './realtime';
export { createSite } from './site';
export type { ForgeFetch, Site, SiteOptions } from './site';
export { click, findAll, findButton, findByText, findByType, getText, renderText, toPlainTree, UiKitQueryError } from './uikit';
export type { ForgeDoc, PlainNode, TextMatcher } from './uikit';
