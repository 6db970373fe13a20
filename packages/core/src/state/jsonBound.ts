// Bounds on the UTF-8 bytes of JSON, read without writing the JSON. Every action is measured three
// times on the host (its arguments against an intent's limit, its patches for the log, its intent
// for a commit's size), and serialising each small value costs more than the action's own change;
// a bound settles the usual case (ids, numbers, short strings), and anything the bound cannot settle
// is measured exactly (`jsonBytes`).
import { jsonBytes, type StoredIntent, type WirePatch } from '@bgstore/protocol';

/**
 * At most how many UTF-8 bytes `value`'s JSON has, for a primitive or an array of primitives (a
 * string's code unit is at most 6 bytes of JSON, `\u001f`; a number at most 26 characters,
 * `-0.0000012345678901234567`);
 * Infinity for anything else.
 */
export function jsonBytesAtMost(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 6 * value.length + 2;
    case 'number':
      return 26;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      if (!Array.isArray(value)) return Infinity;
      let n = 2 + value.length;
      for (const v of value) n += typeof v === 'object' && v !== null ? Infinity : jsonBytesAtMost(v);
      return n;
    }
    default:
      return Infinity;
  }
}

/** At most how many bytes `patches`' JSON has (Infinity when a value is an object). */
function patchesBytesAtMost(patches: readonly WirePatch[]): number {
  // `{"op":"replace","path":,"value":}` and a comma.
  let n = 2;
  for (const p of patches) n += 35 + jsonBytesAtMost(p.path) + (p.value === undefined ? 0 : jsonBytesAtMost(p.value));
  return n;
}

/**
 * The bytes the log counts for `patches`: their bound when it is finite (at most a few times the
 * JSON of small values, and the log's entry count binds first for those), else their JSON's.
 */
export function logBytes(patches: readonly WirePatch[]): number {
  const bound = patchesBytesAtMost(patches);
  return bound === Infinity ? jsonBytes(patches) : bound;
}

/** At most how many bytes an intent's JSON has (Infinity when it carries an object: measure it). */
export function intentBytesAtMost(i: StoredIntent): number {
  // `{"clientId":,"seq":,"name":,"args":,"caller":}` and a comma.
  if (i.refused) return Infinity;
  return 48 + jsonBytesAtMost(i.clientId) + 26 + jsonBytesAtMost(i.name) + jsonBytesAtMost(i.args) + (i.caller === undefined ? 0 : jsonBytesAtMost(i.caller));
}
