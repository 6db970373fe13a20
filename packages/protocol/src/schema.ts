// A small combinator for the wire protocol's messages: a message is its fields in wire order, each
// with a codec that packs it into one slot of the positional array and checks it on the way back.
// messages.ts writes each message once with these; its type, `encodeMessage` and `decodeMessage`
// derive from that one schema. No dependencies: protocol has none.
import { ACTION_NAME_LENGTH, isId } from './vocabulary';

/** Thrown while unpacking a slot that does not have its field's shape; `decodeMessage` catches it. */
export class WireShapeError extends Error {}

export const fail = (detail: string): never => {
  throw new WireShapeError(detail);
};

/** The fields of a message packed or unpacked so far, for a slot that depends on an earlier one. */
export type Fields = Readonly<Record<string, unknown>>;

/**
 * How one field travels in one slot. `pack` returns `undefined` to leave the slot absent (trailing
 * absent slots are dropped, others travel as null); `unpack` checks a received slot (`undefined`
 * when the array is shorter) and returns the field's value, or throws {@link WireShapeError}.
 */
export interface Codec<T> {
  pack(value: T, message: Fields): unknown;
  unpack(raw: unknown, what: string, message: Fields): T;
  /** The field may be absent: `key?: T` in the message's type. */
  readonly optional?: true;
}

/** A codec whose field may be absent: unpacks null or a missing slot as absent. */
export type Optional<T> = Codec<T> & { readonly optional: true };

/** A codec for a value that travels as it is, checked by `ok`. */
export const checked = <T>(ok: (v: unknown) => v is T, expected: string): Codec<T> => ({
  pack: (v) => v,
  unpack: (raw, what) => (ok(raw) ? raw : fail(`${what} must be ${expected}`)),
});

export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isSeq = (v: unknown): v is number => isCount(v) && v > 0;
export const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= ACTION_NAME_LENGTH;

/** A client id or an epoch ({@link isId}). */
export const id = checked(isId, 'an id');
/** An integer ≥ 0: a version, a revision, an index. */
export const count = checked(isCount, 'a count');
/** An intent's number: an integer ≥ 1. */
export const seq = checked(isSeq, 'a positive integer');
export const text = checked((v): v is string => typeof v === 'string', 'a string');
/** Any JSON value, null included; only a missing slot is refused. */
export const json = checked((v): v is unknown => v !== undefined, 'present');
export const oneOf = <T extends string>(values: readonly T[], expected: string) => checked((v): v is T => values.includes(v as T), expected);

/** Null is a value of this field: it travels as null, and the slot is never left out. */
export const nullable = <T>(c: Codec<T>): Codec<T | null> => ({
  pack: (v, m) => (v === null ? null : c.pack(v, m)),
  unpack: (raw, what, m) => (raw === null ? null : c.unpack(raw, what, m)),
});

export const optional = <T>(c: Codec<T>): Optional<T> => ({
  optional: true,
  pack: (v, m) => (v === undefined ? undefined : c.pack(v, m)),
  unpack: (raw, what, m) => (raw === null || raw === undefined ? (undefined as T) : c.unpack(raw, what, m)),
});

export const isList = (raw: unknown, what: string): unknown[] => (Array.isArray(raw) ? raw : fail(`${what} must be an array`));

/** An array of `item`s, at least `min` of them. */
export const list = <T>(item: Codec<T>, min = 0): Codec<T[]> => ({
  pack: (v, m) => v.map((x) => item.pack(x, m)),
  unpack: (raw, what, m) => {
    const a = isList(raw, what);
    if (a.length < min) fail(`${what} needs at least ${min} item(s)`);
    return a.map((x, i) => item.unpack(x, `${what}[${i}]`, m));
  },
});

/** A field that is left out when it equals `fallback` (computed from the fields before it), and is `fallback` when left out. */
export const orElse = <T>(c: Codec<T>, fallback: (message: Fields) => T | undefined): Codec<T> => ({
  pack: (v, m) => (v === fallback(m) ? undefined : c.pack(v, m)),
  unpack: (raw, what, m) => c.unpack(raw ?? fallback(m), what, m),
});

/** A field checked against the fields before it. */
export const refine = <T>(c: Codec<T>, ok: (v: T, message: Fields) => boolean, detail: string): Codec<T> => ({
  pack: c.pack,
  unpack: (raw, what, m) => {
    const v = c.unpack(raw, what, m);
    return ok(v, m) ? v : fail(detail);
  },
});

/** The codecs of a message's fields, in wire order (`Codec`'s methods are bivariant, so any codec fits). */
export type FieldCodecs = Record<string, Codec<unknown>>;

/**
 * One message: its `type`, its one-letter wire `tag`, its fields in wire order. A host message
 * (`host: true`) also has an `epoch` that travels once, as the sender: a host's id is its epoch.
 */
export interface MessageSchema<Type extends string = string, F extends FieldCodecs = FieldCodecs, Host extends boolean = boolean> {
  type: Type;
  tag: string;
  host: Host;
  fields: F;
  /** `fields` as a list, in wire order. */
  slots: [key: string, codec: Codec<unknown>][];
}

export const message = <Type extends string, F extends FieldCodecs, Host extends boolean = false>(
  type: Type,
  tag: string,
  fields: F,
  options?: { host: Host },
): MessageSchema<Type, F, Host> => ({ type, tag, host: (options?.host ?? false) as Host, fields, slots: Object.entries(fields) as never });

type ValueOf<C> = C extends Codec<infer T> ? T : never;
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { readonly optional: true } ? K : never }[keyof F];

/** Flattens an intersection so editors show one object type. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

interface HostEpoch {
  /** The host's epoch; on the wire it travels once, as the sender. */
  epoch: string;
}

/** The fields a {@link MessageSchema} describes, past the envelope: `type`, `epoch` for host messages, its own. */
export type InferBody<S> =
  S extends MessageSchema<infer Type, infer F, infer Host>
    ? { type: Type } & (Host extends true ? HostEpoch : unknown) & { [K in keyof F as K extends OptionalKeys<F> ? never : K]: ValueOf<F[K]> } & {
        [K in keyof F as K extends OptionalKeys<F> ? K : never]?: ValueOf<F[K]>;
      }
    : never;
