// What a background script needs of bgstore and nothing else: a store and `startHost`.
// `npm run size` bundles it for bgstore's share of a background script.
import { defineStore } from '@bgstore/core';
import { startHost } from '@bgstore/forge';

const counter = defineStore({ name: 'counter', initialState: { n: 0 }, actions: { inc: (draft) => void draft.n++ } });
export const host = startHost(counter);
