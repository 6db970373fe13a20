/**
 * An error the emulated KVS service answers with: an HTTP status and a Forge error body
 * `{code, message}`, which the real `@forge/kvs` turns into `ForgeKvsAPIError`.
 */
export class KvsServiceError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'KvsServiceError';
    this.status = status;
    this.code = code;
  }
}

/** Throws a 400 with `code`. */
export function badRequest(code: string, message: string): never {
  throw new KvsServiceError(400, code, message);
}

/** Throws the generic malformed-body error, with the message `@forge/kvs`'s own fixtures use. */
export function malformed(detail: string): never {
  throw new KvsServiceError(400, 'BAD_REQUEST', `Provided request body is invalid: ${detail}`);
}

/** The 404 every single-key read or delete answers for an absent key; `@forge/kvs` maps it to `undefined`. */
export function keyNotFound(): KvsServiceError {
  return new KvsServiceError(404, 'KEY_NOT_FOUND', 'Provided key does not exist');
}
