// The bench runs @bgstore/forge's invoke persistence with its own invoke; @forge/bridge still
// wants a bridge when it is imported, so this stands in (and refuses every call).
(globalThis as { __bridge?: unknown }).__bridge = { callBridge: () => Promise.reject(new Error('[bench] no Forge bridge here')) };
export {};
