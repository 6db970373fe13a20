// confluence:backgroundScript — holds the authoritative team board for every module on the page.
import React from 'react';
import ForgeReconciler from '@forge/react';
import { reportDiagnostics } from '@bgstore/devtools';
import { startHost } from '@bgstore/forge';
import { teamBoard } from '../store';

// Other tabs' and users' changes arrive over Forge Realtime: the resolver publishes each commit
// and this page applies it, without invoking anything. startHost's defaults: if Realtime is
// unavailable (it is in Preview), storage is polled every 30 s; a safety-net check every 5 minutes.
export const host = startHost(teamBoard);
// Diagnostics for a devtools panel, off in production (reportDiagnostics' default).
reportDiagnostics({ store: teamBoard.name, host });

ForgeReconciler.render(<React.Fragment />);
