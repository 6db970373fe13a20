// confluence:backgroundScript — holds the authoritative team board for every module on the page.
import React from 'react';
import ForgeReconciler from '@forge/react';
import { startHost } from '@bgstore/forge';
import { teamBoard } from '../store';

// Other tabs' changes arrive within a few seconds (the default check is every 30 s).
export const host = startHost(teamBoard, { revisionCheckMs: 3000 });

ForgeReconciler.render(<React.Fragment />);
