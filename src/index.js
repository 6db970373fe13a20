// Forge resolves function handlers under <app root>/src; the app's code lives in apps/example.
export { handler } from '../apps/example/src/resolvers';
//# sourceMappingURL=index.js.map