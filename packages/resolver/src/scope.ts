import { SyncError } from '@bgstore/protocol';
import type { StoreContext, StoreScope } from './policy';
import { createHash } from 'node:crypto';

/**
 * Escapes a value into the KVS key alphabet reversibly: letters, digits, `-` and `_` stay, any
 * other character becomes `.` and its code in hex, so distinct values never share a key.
 */
const escapeKey = (value: string) => value.replace(/[^A-Za-z0-9_-]/g, (c) => `.${c.codePointAt(0)!.toString(16)}.`);

/**
 * The KVS key of a store's document for the caller, from `req.context` only (never the payload):
 * one per site, space, content item or user, as the store policy's `scope` says.
 * @throws SyncError `BAD_REQUEST` when the context lacks what the scope needs
 */
export function documentKey(name: string, scope: StoreScope, context: StoreContext): string {
  const missing = (what: string) => new SyncError('BAD_REQUEST', `[bgstore] store '${name}' is scoped per ${what}, but this module's context has no ${what}; use it from a module that has one, or change the scope`);
  let part: string;
  if (typeof scope === 'function') {
    const value = scope(context);
    if (typeof value !== 'string' || value.length === 0) throw new SyncError('BAD_REQUEST', `[bgstore] the scope function of store '${name}' returned ${JSON.stringify(value)}; it must return a non-empty string`);
    part = `fn:${value}`;
  } else if (scope === 'site') {
    part = `site:${String(context.installContext ?? context.cloudId ?? 'site')}`;
  } else if (scope === 'space') {
    const space = context.extension?.space;
    if (!space || (space.key === undefined && space.id === undefined)) throw missing('space');
    part = `space:${String(space.key ?? space.id)}`;
  } else if (scope === 'content') {
    const id = context.extension?.content?.id;
    if (id === undefined) throw missing('content');
    part = `content:${String(id)}`;
  } else {
    if (!context.accountId) throw missing('user (accountId)');
    part = `user:${context.accountId}`;
  }
  const key = `bgstore:${escapeKey(name)}:${escapeKey(part)}`;
  // Keys are at most 500 characters; long scopes are hashed (still one key per scope).
  return key.length <= 400 ? key : `bgstore:${escapeKey(name)}:h${createHash('sha256').update(part).digest('hex')}`;
}
