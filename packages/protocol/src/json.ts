/** A JSON value: what bgstore state, action arguments and messages are made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Returns the path of the first value that is not JSON-safe (a non-plain object, `undefined`, a
 * function, NaN/Infinity, a symbol, a bigint, an own `__proto__` key, nesting deeper than 200), or
 * `undefined` when all of `value` is JSON.
 * @example findNonJson({ a: [1, new Date()] }) // ['a', 1]
 */
export function findNonJson(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : path;
    case 'object': {
      if (value === null) return undefined;
      if (depth > 200) return path;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = findNonJson(value[i], [...path, i], depth + 1);
          if (bad) return bad;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== null && Object.getPrototypeOf(proto) !== null) return path; // not a plain object of any realm
      for (const key of Object.keys(value)) {
        if (key === '__proto__') return [...path, key];
        const bad = findNonJson((value as Record<string, unknown>)[key], [...path, key], depth + 1);
        if (bad) return bad;
      }
      return undefined;
    }
    default:
      return path;
  }
}

/** True when `value` is entirely JSON (see {@link findNonJson}). */
export const isJson = (value: unknown): value is JsonValue => findNonJson(value) === undefined;
