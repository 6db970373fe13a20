// A byline item on every page (confluence:contentBylineItem): the number of votes.
import React from 'react';
import ForgeReconciler, { Text } from '@forge/react';
import { useReplica } from '@bgstore/react';
import { replica } from './replica';

function Byline() {
  const total = useReplica(replica, (s) => Object.keys(s.votes).length);
  return <Text>{total === 1 ? '1 vote' : `${total} votes`}</Text>;
}

ForgeReconciler.render(<Byline />);
