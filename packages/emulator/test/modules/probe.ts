// A module that does whatever its test tells it, through the real @forge/bridge.
import { events, invoke, realtime, view } from '@forge/bridge';

type Sub = { unsubscribe(): void };
const received: Array<{ event: string; payload: unknown }> = [];
const subs = new Map<string, Sub>();

export async function listen(event: string): Promise<void> {
  subs.set(event, await events.on(event, (payload: unknown) => void received.push({ event, payload })));
}
export function unlisten(event: string): void {
  subs.get(event)?.unsubscribe();
}
export const emit = (event: string, payload?: unknown) => events.emit(event, payload);
export const call = (functionKey: string, payload?: Record<string, unknown>) => invoke(functionKey, payload);
export const context = () => view.getContext();
export const log = () => received;
export function setGlobal(name: string, value: unknown): void {
  (globalThis as Record<string, unknown>)[name] = value;
}
export const getGlobal = (name: string) => (globalThis as Record<string, unknown>)[name];
export const sameBridge = (other: unknown) => other === events;
export const bridgeEvents = events;
/** True when `value` is a plain object or array of this realm, as immer and zustand expect. */
export const isOwnPlain = (value: unknown) =>
  value !== null && typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Array.isArray(value) && value instanceof Array);
export const now = () => [Date.now(), performance.now()];
export const callWithLimits = (functionKey: string, payload?: Record<string, unknown>) => invoke(functionKey, payload, { rateLimitProperties: true });
export const publishGlobal = (channel: string, payload: Record<string, unknown>) => realtime.publishGlobal(channel, payload);
export async function subscribeGlobal(channel: string): Promise<void> {
  await realtime.subscribeGlobal(channel, (payload: unknown) => void received.push({ event: channel, payload }));
}
