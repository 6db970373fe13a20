import { compareIndexValues, matches, matchesFilters, parseCondition, parseFilters, RANGE_CONDITIONS } from './conditions';
import { decodeCursor, encodeCursor } from './cursor';
import { badRequest, malformed } from './errors';
import type { KvsEntry } from './store';
import { isExpired, isObject, metadataFields, wireRecord, type KvsLimits } from './validate';

/** Attribute types of a custom entity, as in the manifest. */
export type EntityAttributeType = 'string' | 'integer' | 'float' | 'boolean' | 'any';

/** An index as the manifest declares it: an attribute name, or `{name, range, partition?}`. */
export type EntityIndexDeclaration = string | { name: string; range: readonly string[]; partition?: readonly string[] };

/** One entry of the manifest's `app.storage.entities`. */
export interface EntityDeclaration {
  name: string;
  attributes: Record<string, { type: EntityAttributeType }>;
  indexes?: readonly EntityIndexDeclaration[];
}

interface Index {
  name: string;
  range: string;
  partition: string[];
}

/** A declared entity, ready for validation and queries. */
export interface Entity {
  name: string;
  attributes: Record<string, { type: EntityAttributeType }>;
  indexes: Map<string, Index>;
}

/** Builds the entity table from manifest declarations; a malformed declaration throws at once. */
export function buildEntities(decls: readonly EntityDeclaration[] = []): Map<string, Entity> {
  const out = new Map<string, Entity>();
  for (const d of decls) {
    const indexes = new Map<string, Index>();
    for (const ix of d.indexes ?? []) {
      const index: Index = typeof ix === 'string' ? { name: ix, range: ix, partition: [] } : { name: ix.name, range: ix.range[0] ?? '', partition: [...(ix.partition ?? [])] };
      for (const attr of [index.range, ...index.partition]) {
        if (!(attr in d.attributes)) throw new Error(`[emulator] entity ${d.name}: index ${index.name} uses undeclared attribute "${attr}"`);
      }
      indexes.set(index.name, index);
    }
    out.set(d.name, { name: d.name, attributes: d.attributes, indexes });
  }
  return out;
}

const ENTITY_NAME = /^(?![_.-])(?!.*\.{2})[a-z0-9:\-_.]*(?<![.])$/;

/** Resolves `entityName` of a request; an undeclared entity is a 400 `INVALID_ENTITY_TYPE` (emulator's choice). */
export function resolveEntity(entities: Map<string, Entity>, name: unknown): Entity {
  if (typeof name !== 'string') malformed('entityName must be a string');
  if (name.length < 3) badRequest('ENTITY_TYPE_TOO_SHORT', 'The provided entity name needs to be at least 3 characters.');
  if (name.length > 60) badRequest('ENTITY_TYPE_TOO_LARGE', 'The provided entity name has exceeded the maximum 60 characters.');
  if (!ENTITY_NAME.test(name)) badRequest('INVALID_ENTITY_TYPE', `The provided entity name does not match the regex: ${String(ENTITY_NAME)}`);
  const entity = entities.get(name);
  if (!entity) badRequest('INVALID_ENTITY_TYPE', `Entity "${name}" is not declared in the manifest (app.storage.entities).`);
  return entity;
}

function typeMatches(type: EntityAttributeType, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** Checks an entity value against the declared attributes (`INVALID_ENTITY_VALUE`). */
export function checkEntityValue(entity: Entity, value: unknown): void {
  if (!isObject(value)) badRequest('INVALID_ENTITY_VALUE', `Values of entity "${entity.name}" must be objects.`);
  for (const [attr, v] of Object.entries(value)) {
    const decl = entity.attributes[attr];
    // Stricter than documented on purpose: an undeclared attribute is far more likely a bug than intent.
    if (!decl) badRequest('INVALID_ENTITY_VALUE', `Attribute "${attr}" is not declared for entity "${entity.name}".`);
    if (v !== null && !typeMatches(decl.type, v)) {
      badRequest('INVALID_ENTITY_VALUE', `Attribute "${attr}" of entity "${entity.name}" must be of type ${decl.type}.`);
    }
  }
}

type Position = [unknown, string];

/** Runs `/api/v1/entity/query` over the entity's live records. */
export function queryEntity(entity: Entity, body: Record<string, unknown>, entries: readonly KvsEntry[], now: number, limits: KvsLimits): { data: unknown[]; cursor?: string } {
  if (typeof body.indexName !== 'string') malformed('indexName must be a string');
  const index = entity.indexes.get(body.indexName);
  if (!index) badRequest('INVALID_ENTITY_INDEX', `Index "${body.indexName}" is not declared for entity "${entity.name}".`);
  const partition = body.partition ?? [];
  if (!Array.isArray(partition) || partition.length !== index.partition.length) {
    malformed(`index "${index.name}" needs a partition of ${index.partition.length} value(s)`);
  }
  const range = body.range === undefined ? undefined : parseCondition(body.range, RANGE_CONDITIONS);
  const filters = parseFilters(body.filters);
  if (body.sort !== undefined && body.sort !== 'ASC' && body.sort !== 'DESC') malformed('sort must be ASC or DESC');
  const dir = body.sort === 'DESC' ? -1 : 1;
  const limit = body.limit ?? limits.defaultPageSize;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > limits.maxPageSize) {
    badRequest('COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE', `The page limit must be set between 1 and ${limits.maxPageSize}.`);
  }
  const fields = metadataFields(isObject(body.options) ? body.options.metadataFields : undefined);
  let after: Position | undefined;
  if (body.cursor !== undefined) {
    const c = decodeCursor(body.cursor);
    if (!Array.isArray(c) || c.length !== 2 || typeof c[1] !== 'string') malformed('cursor is not one this service issued');
    after = [c[0], c[1]];
  }
  const compare = (a: Position, b: Position) => dir * (compareIndexValues(a[0], b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));

  // Like a sparse index: records without the range or partition attributes are not in it.
  const rows: Array<{ pos: Position; entry: KvsEntry }> = [];
  for (const entry of entries) {
    if (isExpired(entry.record, now) || !isObject(entry.record.value)) continue;
    const v = entry.record.value;
    if (v[index.range] === undefined || v[index.range] === null) continue;
    if (!index.partition.every((attr, i) => v[attr] !== undefined && v[attr] === partition[i])) continue;
    rows.push({ pos: [v[index.range], entry.key], entry });
  }
  rows.sort((a, b) => compare(a.pos, b.pos));

  const page: typeof rows = [];
  let more = false;
  for (const row of rows) {
    if (after && compare(row.pos, after) <= 0) continue;
    const v = row.entry.record.value as Record<string, unknown>;
    if (range && !matches(v[index.range], range)) continue;
    if (filters && !matchesFilters(v, filters)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(row);
  }
  const data = page.map((row) => wireRecord(row.entry.key, row.entry.record, fields));
  const last = page[page.length - 1];
  return more && last ? { data, cursor: encodeCursor(last.pos) } : { data };
}
