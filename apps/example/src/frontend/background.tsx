// confluence:backgroundScript — holds the authoritative team board for every module on the page.
import React from 'react';
import ForgeReconciler from '@forge/react';
import { reportDiagnostics } from '@bgstore/devtools';
import { startHost } from '@bgstore/forge';
import { teamBoard } from '../store';

// Other tabs' and users' changes arrive through a Forge Realtime hint: each tab announces the
// revisions it stores and checks storage when another announces one. If Realtime is unavailable
// (it is in Preview), storage is polled every 3 s instead; and every 15 s in any case, should an
// announcement be lost.
export const host = startHost(teamBoard, { realtimeHint: { fallbackCheckMs: 3000 }, revisionCheckMs: 15_000 });
// Diagnostics for a devtools panel, off in production (reportDiagnostics' default).
reportDiagnostics({ store: teamBoard.name, host });

ForgeReconciler.render(<React.Fragment />);
