import React, { useEffect, useState } from 'react';
import ForgeReconciler, { Button, Stack, Text } from '@forge/react';
import { events } from '@forge/bridge';

function Feed() {
  const [count, setCount] = useState<number | undefined>(undefined);
  useEffect(() => {
    const sub = events.on('example.count', (payload: { count: number }) => setCount(payload.count));
    void events.emit('example.request', {});
    return () => void sub.then((s) => s.unsubscribe());
  }, []);
  return (
    <Stack space="space.100">
      <Text>{count === undefined ? 'Loading…' : `Count: ${count}`}</Text>
      <Button onClick={() => void events.emit('example.increment', {})}>Add</Button>
    </Stack>
  );
}

ForgeReconciler.render(<Feed />);
