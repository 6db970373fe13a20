import Resolver from '@forge/resolver';
import { registerStores } from '@bgstore/resolver';
import { teamBoard } from '../store';
const resolver = new Resolver();
registerStores(resolver, [teamBoard]);
export const handler = resolver.getDefinitions();
//# sourceMappingURL=index.js.map