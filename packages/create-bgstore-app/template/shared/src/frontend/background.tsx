// The background script: holds the authoritative notes for every module on the page. The Realtime
// hint tells other tabs and users within a fraction of a second that the notes were saved (without
// it they look every 30 s); storage stays the truth, polled every 3 s where Realtime is missing.
import React from 'react';
import ForgeReconciler from '@forge/react';
import { startHost } from '@bgstore/forge';
import { notes } from '../store';

startHost(notes, { realtimeHint: true });

ForgeReconciler.render(<React.Fragment />);
