// Type tests (checked by `npm run typecheck`, never run): action names and argument types flow
// from defineStore to every call site, and mistakes fail to compile.
import { createHost, createReplica, defineStore, type InferState, type Transport } from '../src';

declare const transport: Transport;

const todo = defineStore({
  name: 'todo',
  initialState: { items: [] as { id: string; done: boolean }[] },
  actions: {
    add: (draft, id: string) => void draft.items.push({ id, done: false }),
    setDone: (draft, id: string, done: boolean) => {
      const item = draft.items.find((i) => i.id === id);
      if (item) item.done = done;
    },
    clear: (draft) => {
      draft.items = [];
    },
  },
});

const replica = createReplica(todo, { transport });
const host = createHost(todo, { transport });

void replica.actions.add('a');
void replica.actions.setDone('a', true);
void replica.actions.clear();
void host.actions.add('b');
const items: { id: string; done: boolean }[] = replica.getState().items;
const state: InferState<typeof todo> = host.getState();
void items;
void state;

// @ts-expect-error unknown action name
void replica.actions.remove('a');
// @ts-expect-error wrong argument type
void replica.actions.add(1);
// @ts-expect-error missing argument
void replica.actions.setDone('a');
// @ts-expect-error too many arguments
void replica.actions.clear('x');
// @ts-expect-error host actions are typed the same way
void host.actions.setDone('a', 'yes');
// @ts-expect-error no public setState on a replica
replica.setState({ items: [] });
// @ts-expect-error the draft is typed from initialState
defineStore({ name: 'bad', initialState: { n: 0 }, actions: { inc: (draft) => void (draft.m = 1) } });

// #21 held actions: `optimistic` names the store's actions; a misspelt one fails to compile, and
// naming one does not widen the store's actions.
const heldTodo = defineStore({
  name: 'held-todo',
  initialState: { items: [] as string[] },
  actions: { add: (draft, id: string) => void draft.items.push(id), clear: (draft) => void (draft.items = []) },
  optimistic: { clear: false },
});
void createReplica(heldTodo, { transport }).actions.clear();
defineStore({
  name: 'misspelt',
  initialState: { items: [] as string[] },
  actions: { clear: (draft) => void (draft.items = []) },
  // @ts-expect-error not one of the store's actions
  optimistic: { claer: false },
});
defineStore({
  name: 'not-boolean',
  initialState: { n: 0 },
  actions: { bump: (draft) => void draft.n++ },
  // @ts-expect-error true or false
  optimistic: { bump: 'no' },
});
// @ts-expect-error `optimistic` adds no action
void createReplica(heldTodo, { transport }).actions.claer();
