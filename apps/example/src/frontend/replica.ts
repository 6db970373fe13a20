import { reportDiagnostics } from '@bgstore/devtools';
import { connect } from '@bgstore/forge';
import { teamBoard } from '../store';

/** This module's copy of the team board (one per module; each module is its own frame). */
export const replica = connect(teamBoard);

// Answers a devtools panel on the page when one asks (silent otherwise), in development and staging
// environments only: reportDiagnostics stays off in PRODUCTION unless given `production: true`.
reportDiagnostics({ store: teamBoard.name, replica });
