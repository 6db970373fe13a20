// The background script: holds the authoritative poll for every module on the page. The Realtime
// hint tells other tabs and users within a fraction of a second that a vote was saved.
import React from 'react';
import ForgeReconciler from '@forge/react';
import { startHost } from '@bgstore/forge';
import { poll } from '../store';

startHost(poll, { realtimeHint: true });

ForgeReconciler.render(<React.Fragment />);
