import path from 'node:path';
import { createNodeRealm, type NodeRealm } from './node/realm';
import { click, findAll, findButton, findByText, findByType, getText, renderText, toPlainTree, UiKitQueryError, type ForgeDoc } from './uikit';

const COUNTER = path.join(__dirname, '../test/fixtures/counter.tsx');

let realm: NodeRealm | undefined;
let tree: ForgeDoc | undefined;
const current = () => {
  if (!tree) throw new Error('the counter has not rendered');
  return tree;
};

beforeEach(async () => {
  tree = undefined;
  realm = await createNodeRealm({
    name: 'counter',
    entry: COUNTER,
    callBridge: (method, args) => {
      if (method === 'reconcile') tree = (args as { forgeDoc: ForgeDoc }).forgeDoc;
    },
  });
});
afterEach(() => realm?.dispose());

/** Builds a tree by hand: strings become `String` leaves. */
const node = (type: string, props: Record<string, unknown>, ...children: Array<ForgeDoc | string>): ForgeDoc => ({
  type,
  props,
  children: children.map((c) => (typeof c === 'string' ? { type: 'String', props: { text: c }, children: [] } : c)),
});

describe('uikit queries on a real @forge/react tree', () => {
  it('reads the text, one line per block component', () => {
    expect(getText(current())).toBe('Count: 0\nAdd');
  });

  it('separates the boxes of a layout component, but runs text-level parts on inside text', () => {
    const summary = node('Inline', {}, node('Text', {}, 'To do ', node('Strong', {}, '1')), node('Badge', {}, '1'), node('Lozenge', {}, 'Saved'));
    expect(getText(summary)).toBe('To do 1\n1\nSaved');
  });

  it('finds nodes by type and by predicate in document order', () => {
    expect(findByType(current(), 'Button')).toHaveLength(1);
    expect(findAll(current(), (n) => n.type !== 'String').map((n) => n.type)).toEqual(['Root', 'Stack', 'Text', 'Button']);
  });

  it('finds the innermost component showing a text', () => {
    expect(findByText(current(), 'Count: 0').map((n) => n.type)).toEqual(['Text']);
    expect(findByText(current(), /count: \d/i).map((n) => n.type)).toEqual(['Text']);
    expect(findByText(current(), /Count/, { type: 'Stack' }).map((n) => n.type)).toEqual(['Stack']);
    expect(findByText(current(), 'Count')).toEqual([]);
  });

  it('finds a button by label and clicks it through its realm', async () => {
    expect(findButton(current(), 'Add')?.type).toBe('Button');
    expect(findButton(current(), 'Remove')).toBeUndefined();
    await click(current(), 'Add');
    await click(current(), /^add$/i);
    expect(getText(current())).toBe('Count: 2\nAdd');
  });

  it('names the existing buttons when no label matches', async () => {
    const failed = click(current(), 'Remove');
    await expect(failed).rejects.toThrow(UiKitQueryError);
    await expect(failed).rejects.toThrow('[emulator] no Button labelled "Remove"; buttons: "Add"');
  });

  it('gives a JSON-safe plain tree', () => {
    const plain = toPlainTree(current());
    expect(JSON.parse(JSON.stringify(plain))).toEqual(plain);
    expect(plain).toEqual({
      type: 'Root',
      children: [{ type: 'Stack', children: [{ type: 'Text', children: ['Count: ', '0'] }, { type: 'Button', props: { onClick: '[function]' }, children: ['Add'] }] }],
    });
  });

  it('renders a readable outline', () => {
    expect(renderText(current())).toBe(['Root', '  Stack', '    Text "Count: 0"', '    Button "Add" onClick()'].join('\n'));
  });
});

describe('uikit queries on hand-built trees', () => {
  it('runs inline components on with the text around them', () => {
    const doc = node('Root', {}, node('Text', {}, 'Hello ', node('Strong', {}, 'world'), '!'), node('Text', {}, 'Bye'));
    expect(getText(doc)).toBe('Hello world!\nBye');
    expect(renderText(doc)).toBe(['Root', '  Text "Hello world!"', '  Text "Bye"'].join('\n'));
  });

  it('refuses ambiguous and disabled buttons, and clicks the one picked by index', async () => {
    const clicks: number[] = [];
    const doc = node(
      'Root',
      {},
      node('Button', { onClick: () => clicks.push(0) }, 'Delete'),
      node('Button', { onClick: () => clicks.push(1) }, 'Delete'),
      node('Button', { onClick: () => clicks.push(2), isDisabled: true }, 'Save'),
    );
    await expect(click(doc, 'Delete')).rejects.toThrow('[emulator] 2 Buttons are labelled "Delete"; pass { index } to pick one');
    await expect(click(doc, 'Save')).rejects.toThrow('[emulator] Button "Save" is disabled');
    await click(doc, 'Delete', { index: 1 });
    expect(clicks).toEqual([1]);
  });

  it('waits for an async onClick', async () => {
    let done = false;
    const doc = node('Root', {}, node('LoadingButton', { onClick: () => new Promise<void>((r) => setImmediate(() => ((done = true), r()))) }, 'Sync'));
    await click(doc, 'Sync');
    expect(done).toBe(true);
  });

  it('makes random id prefixes and non-JSON props stable in the plain tree', () => {
    const doc = node('Root', {}, node('Textfield', { id: 'forge-app-1a2b3-name', onChange: () => undefined, extra: undefined, big: 1n }));
    expect(toPlainTree(doc)).toEqual({ type: 'Root', children: [{ type: 'Textfield', props: { id: 'forge-app-*-name', onChange: '[function]', big: '1' } }] });
  });
});
