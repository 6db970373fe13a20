// The resolver function (manifest: function `resolver`, handler `index.handler`): bgstore's load and
// commit functions, which keep the notes in Forge storage.
import Resolver from '@forge/resolver';
import { registerStores } from '@bgstore/resolver';
import { notes } from './store';

const resolver = new Resolver();
registerStores(resolver, [notes]);

export const handler = resolver.getDefinitions();
