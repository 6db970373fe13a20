import { badRequest, malformed } from './errors';
import { isObject } from './validate';

/** One condition as `@forge/kvs` sends it: `{condition: 'EQUAL_TO', values: [x]}`. */
export interface Condition {
  condition: string;
  values: unknown[];
}

/** A filter item: a condition on one top-level attribute of an entity value. */
export interface FilterItem extends Condition {
  property: string;
}

/** Filters as sent: exactly one of `and` / `or`. */
export interface Filters {
  op: 'and' | 'or';
  items: FilterItem[];
}

const VALUE_COUNTS: Record<string, number> = {
  BEGINS_WITH: 1,
  BETWEEN: 2,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  EQUAL_TO: 1,
  NOT_EQUAL_TO: 1,
  EXISTS: 1,
  NOT_EXISTS: 1,
  GREATER_THAN: 1,
  GREATER_THAN_EQUAL_TO: 1,
  LESS_THAN: 1,
  LESS_THAN_EQUAL_TO: 1,
};

/** Conditions allowed in an index `range` (the `WhereConditions` of `@forge/kvs`). */
export const RANGE_CONDITIONS = ['BEGINS_WITH', 'BETWEEN', 'EQUAL_TO', 'GREATER_THAN', 'GREATER_THAN_EQUAL_TO', 'LESS_THAN', 'LESS_THAN_EQUAL_TO'];

/** Validates one condition; `allowed` narrows the accepted condition names. */
export function parseCondition(v: unknown, allowed?: readonly string[]): Condition {
  if (!isObject(v) || typeof v.condition !== 'string' || !Array.isArray(v.values)) malformed('a condition must be {condition, values}');
  const expected = VALUE_COUNTS[v.condition];
  if (expected === undefined || (allowed && !allowed.includes(v.condition))) {
    badRequest('INVALID_FILTER_CONDITION', `The condition ${v.condition} is not supported here.`);
  }
  if (v.values.length < expected) {
    badRequest(expected === 2 ? 'INSUFFICIENT_FILTER_VALUES' : 'INVALID_FILTER_VALUES', `The condition ${v.condition} needs ${expected} value(s).`);
  }
  if (v.values.length > expected) badRequest('INVALID_FILTER_VALUES', `The condition ${v.condition} takes ${expected} value(s).`);
  return { condition: v.condition, values: v.values };
}

/** Validates `{and: [...]}` / `{or: [...]}`; `undefined` when absent. */
export function parseFilters(v: unknown): Filters | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) malformed('filters must be {and} or {or}');
  if (v.and !== undefined && v.or !== undefined) {
    badRequest('INVALID_FILTER_OPERATORS_COMBINATION', 'Filter operators "and" and "or" cannot be present at the same level.');
  }
  const op = v.and !== undefined ? 'and' : v.or !== undefined ? 'or' : undefined;
  const list = op && v[op];
  if (!op || !Array.isArray(list) || list.length === 0) badRequest('EMPTY_FILTER_OPERATOR', 'Filter operators "and" and "or" cannot be empty.');
  const items = list.map((item): FilterItem => {
    if (!isObject(item) || typeof item.property !== 'string' || item.property === '') malformed('a filter needs a property');
    return { property: item.property, ...parseCondition(item) };
  });
  return { op, items };
}

function ordered(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Evaluates one condition against an attribute value; `undefined` is a missing attribute. */
export function matches(actual: unknown, c: Condition): boolean {
  const [x, y] = c.values;
  switch (c.condition) {
    case 'EXISTS':
      return actual !== undefined;
    case 'NOT_EXISTS':
      return actual === undefined;
    case 'EQUAL_TO':
      return actual !== undefined && actual === x;
    case 'NOT_EQUAL_TO':
      return actual !== x;
    case 'BEGINS_WITH':
      return typeof actual === 'string' && actual.startsWith(String(x));
    case 'CONTAINS':
      return contains(actual, x);
    case 'NOT_CONTAINS':
      return !contains(actual, x);
    case 'BETWEEN': {
      const lo = ordered(actual, x);
      const hi = ordered(actual, y);
      return lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
    }
    default: {
      const d = ordered(actual, x);
      if (d === undefined) return false;
      if (c.condition === 'GREATER_THAN') return d > 0;
      if (c.condition === 'GREATER_THAN_EQUAL_TO') return d >= 0;
      if (c.condition === 'LESS_THAN') return d < 0;
      return d <= 0;
    }
  }
}

function contains(actual: unknown, x: unknown): boolean {
  if (typeof actual === 'string') return typeof x === 'string' && actual.includes(x);
  if (Array.isArray(actual)) return actual.includes(x);
  return false;
}

/** Evaluates filters against a stored entity value (`undefined` when the entity does not exist). */
export function matchesFilters(value: unknown, filters: Filters): boolean {
  const attrs = isObject(value) ? value : {};
  const test = (f: FilterItem) => matches(attrs[f.property], f);
  return filters.op === 'and' ? filters.items.every(test) : filters.items.some(test);
}

/** Orders two index values: numbers before strings before booleans, then natural order. */
export function compareIndexValues(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return ordered(a, b) ?? 0;
}
