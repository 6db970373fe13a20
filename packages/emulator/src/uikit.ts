// Queries over the UI Kit tree ("ForgeDoc") that `@forge/react` sends with `reconcile`. No Node or
// DOM imports: the same helpers read trees from vm realms and from iframes.

/**
 * One node of the tree `@forge/react` reconciles: `Root` at the top, component names such as
 * `Stack`, `Text` or `Button` below, and `String` leaves whose `props.text` holds the text.
 * Function props (`onClick`…) are live functions of the module's realm.
 */
export interface ForgeDoc {
  type: string;
  props: Record<string, unknown>;
  children: ForgeDoc[];
  /** A fresh uuid per node; not stable across renders of different realms. */
  key?: string;
  forgeReactMajorVersion?: number;
}

/** Text to look for: a string matches the whole text (whitespace collapsed), a RegExp any part. */
export type TextMatcher = string | RegExp;

/** A JSON-safe copy of a tree from {@link toPlainTree}: text leaves become strings. */
export type PlainNode = string | { type: string; props?: Record<string, unknown>; children?: PlainNode[] };

/** Thrown by {@link click} when no enabled button matches. */
export class UiKitQueryError extends Error {
  override name = 'UiKitQueryError';
}

// Text-level components: their text runs on with the surrounding text instead of starting a line.
const INLINE = new Set(['String', 'Strong', 'Em', 'Strike', 'Code', 'Link', 'Badge', 'Lozenge', 'User']);
// Layout components: each child is a box of its own, even a text-level one (a Badge beside a Lozenge).
const LAYOUT = new Set(['Root', 'Stack', 'Inline', 'Box', 'Fragment']);
const BUTTONS = new Set(['Button', 'LoadingButton']);

/**
 * Every node for which `predicate` holds, in document order (the root included).
 * @example findAll(doc, (n) => n.props.appearance === 'primary')
 */
export function findAll(doc: ForgeDoc, predicate: (node: ForgeDoc) => boolean): ForgeDoc[] {
  const found: ForgeDoc[] = [];
  const visit = (node: ForgeDoc) => {
    if (predicate(node)) found.push(node);
    for (const child of childrenOf(node)) visit(child);
  };
  visit(doc);
  return found;
}

/** Every node of a component type, e.g. `findByType(doc, 'Button')`, in document order. */
export function findByType(doc: ForgeDoc, type: string): ForgeDoc[] {
  return findAll(doc, (node) => node.type === type);
}

/**
 * The text a node shows: `String` leaves joined, with a line break between block-level
 * components (so `Stack > [Text "Count: 0", Button "Add"]` reads `"Count: 0\nAdd"`) and between
 * the children of a layout component (`Inline > [Badge "3", Lozenge "Saved"]` reads `"3\nSaved"`).
 */
export function getText(node: ForgeDoc): string {
  if (node.type === 'String') return String(node.props.text ?? '');
  const lines: string[] = [];
  let line = '';
  const runsOn = (child: ForgeDoc) => INLINE.has(child.type) && (child.type === 'String' || !LAYOUT.has(node.type));
  for (const child of childrenOf(node)) {
    const text = getText(child);
    if (runsOn(child)) {
      line += text;
      continue;
    }
    if (line.trim()) lines.push(line);
    line = '';
    if (text.trim()) lines.push(text);
  }
  if (line.trim()) lines.push(line);
  return lines.join('\n');
}

/**
 * Components whose text matches, in document order. Without `type`, only the innermost matches
 * count (a `Text` showing "Count: 0", not every `Stack` around it); `String` leaves are never returned.
 * @example findByText(doc, /^Count: \d+$/) // → [the Text node]
 */
export function findByText(doc: ForgeDoc, text: TextMatcher, options: { type?: string } = {}): ForgeDoc[] {
  const { type } = options;
  if (type) return findAll(doc, (node) => node.type === type && matches(getText(node), text));
  const found: ForgeDoc[] = [];
  const visit = (node: ForgeDoc): boolean => {
    if (node.type === 'String') return false;
    let inner = false;
    for (const child of childrenOf(node)) inner = visit(child) || inner;
    if (inner) return true;
    if (!matches(getText(node), text)) return false;
    found.push(node);
    return true;
  };
  visit(doc);
  return found;
}

/** The first `Button` (or `LoadingButton`) whose label matches, or `undefined`. */
export function findButton(doc: ForgeDoc, label: TextMatcher): ForgeDoc | undefined {
  return buttonsOf(doc).find((node) => matches(getText(node), label));
}

/**
 * Clicks the button labelled `label`, as the host does when the user clicks it: calls its `onClick`
 * in the module's realm and waits for the promise it returns, if any. Throws a
 * {@link UiKitQueryError} naming the buttons that exist when none matches, when several match and
 * no `index` picks one, or when the button is disabled.
 * @example await click(tree, 'Add')
 */
export async function click(doc: ForgeDoc, label: TextMatcher, options: { index?: number } = {}): Promise<void> {
  const buttons = buttonsOf(doc);
  const matching = buttons.filter((node) => matches(getText(node), label));
  const shown = () => (buttons.length ? buttons.map((b) => JSON.stringify(normalise(getText(b)))).join(', ') : 'none');
  if (matching.length === 0) throw new UiKitQueryError(`[emulator] no Button labelled ${describe(label)}; buttons: ${shown()}`);
  if (matching.length > 1 && options.index === undefined) {
    throw new UiKitQueryError(`[emulator] ${matching.length} Buttons are labelled ${describe(label)}; pass { index } to pick one`);
  }
  const button = matching[options.index ?? 0];
  if (!button) throw new UiKitQueryError(`[emulator] no Button #${options.index} labelled ${describe(label)}; ${matching.length} match`);
  if (button.props.isDisabled === true) throw new UiKitQueryError(`[emulator] Button ${describe(label)} is disabled`);
  const onClick = button.props.onClick;
  if (typeof onClick !== 'function') throw new UiKitQueryError(`[emulator] Button ${describe(label)} has no onClick`);
  await onClick();
}

/**
 * A JSON-safe copy of the tree for snapshots and logs: `String` leaves become their text, function
 * props become `'[function]'`, keys are dropped, and the per-app random prefix `@forge/react` puts
 * on `id` props becomes `forge-app-*`.
 */
export function toPlainTree(doc: ForgeDoc): PlainNode {
  if (doc.type === 'String') return String(doc.props.text ?? '');
  const node: Exclude<PlainNode, string> = { type: doc.type };
  const props = plainValue(doc.props) as Record<string, unknown>;
  if (Object.keys(props).length) node.props = props;
  const children = childrenOf(doc).map(toPlainTree);
  if (children.length) node.children = children;
  return node;
}

/**
 * A readable outline, one component per line, indented by depth. Text-only components show their
 * text inline; function props are listed by name.
 * @example
 * renderText(doc)
 * // Root
 * //   Stack
 * //     Text "Count: 0"
 * //     Button "Add" onClick()
 */
export function renderText(doc: ForgeDoc): string {
  const lines: string[] = [];
  const visit = (node: ForgeDoc, depth: number) => {
    const children = childrenOf(node);
    const textOnly = children.length > 0 && children.every((c) => INLINE.has(c.type) && childrenOf(c).every((g) => g.type === 'String'));
    if (node.type === 'String') {
      lines.push(`${'  '.repeat(depth)}${JSON.stringify(getText(node))}`);
      return;
    }
    const parts = [node.type];
    if (textOnly) parts.push(JSON.stringify(normalise(getText(node))));
    for (const [name, value] of Object.entries(node.props ?? {})) {
      if (typeof value === 'function') parts.push(`${name}()`);
      else if (value !== undefined) parts.push(`${name}=${JSON.stringify(plainValue(value))}`);
    }
    lines.push(`${'  '.repeat(depth)}${parts.join(' ')}`);
    if (!textOnly) for (const child of children) visit(child, depth + 1);
  };
  visit(doc, 0);
  return lines.join('\n');
}

function childrenOf(node: ForgeDoc): ForgeDoc[] {
  // Arrays from another realm fail `instanceof Array`; Array.isArray does not.
  return Array.isArray(node.children) ? node.children : [];
}

function buttonsOf(doc: ForgeDoc): ForgeDoc[] {
  return findAll(doc, (node) => BUTTONS.has(node.type));
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function matches(text: string, matcher: TextMatcher): boolean {
  if (typeof matcher === 'string') return normalise(text) === normalise(matcher);
  matcher.lastIndex = 0;
  return matcher.test(text);
}

function describe(matcher: TextMatcher): string {
  return typeof matcher === 'string' ? JSON.stringify(matcher) : String(matcher);
}

function plainValue(value: unknown, seen = new Set<unknown>()): unknown {
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'string') return value.replace(/^forge-app-[0-9a-f]{5}-/, 'forge-app-*-');
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' || typeof value === 'symbol' ? String(value) : value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => plainValue(v, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const plain = plainValue(v, seen);
      if (plain !== undefined) out[k] = plain;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
