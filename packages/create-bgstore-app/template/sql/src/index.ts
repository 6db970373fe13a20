// The resolver function (manifest: function `resolver`, handler `index.handler`): bgstore's load and
// commit functions, which keep the notes in Forge SQL. And the function `migrate` (handler
// `index.migrate`), which the app's triggers run when it is installed and upgraded.
import Resolver from '@forge/resolver';
import { migrationRunner } from '@forge/sql';
import { registerStores } from '@bgstore/resolver';
import { enqueueBgstoreMigrations, sqlStorage } from '@bgstore/resolver/sql';
import { notes } from './store';

const resolver = new Resolver();
// sqlStorage() also makes bgstore's tables on first use if the install trigger has not run yet (forge tunnel).
registerStores(resolver, [notes], { storage: sqlStorage() });

export const handler = resolver.getDefinitions();

/**
 * Runs the migrations that have not run on this installation: bgstore's tables first, then yours
 * (`.enqueue('v001-my-table', 'CREATE TABLE …')` after bgstore's; never change one that shipped).
 * Answers the names it ran.
 */
export async function migrate(): Promise<string[]> {
  const ran = await enqueueBgstoreMigrations(migrationRunner).run();
  console.log(`migrations run: ${ran.length ? ran.join(', ') : 'none'}`);
  return ran;
}
