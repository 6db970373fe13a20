// A byline item on every page (confluence:contentBylineItem): the number of votes.
import React from 'react';
import ForgeReconciler, { Text } from '@forge/react';
import { useReplica } from '@bgstore/react';
import { replica } from './replica';
import { useUnsaved } from './unsaved';

function Byline() {
  const total = useReplica(replica, (s) => Object.keys(s.votes).length);
  const unsaved = useUnsaved();
  const text = total === 1 ? '1 vote' : `${total} votes`;
  return <Text>{unsaved ? `${text} (not saved yet)` : text}</Text>;
}

ForgeReconciler.render(<Byline />);
