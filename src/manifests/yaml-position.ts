// Maps a field path (as ajv reports it) back to the YAML node that holds it, so a schema violation
// points at the line and column a person has to edit.
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

/** Position of the deepest node along `path` that exists (the parent mapping for a missing field). */
export function positionOfPath(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
): Position {
  let node: Node | null = (doc.contents as Node | null) ?? null;
  let position = startOf(node, lineCounter) ?? documentStart(doc, lineCounter);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      const value = (pair.value as Node | null) ?? null;
      position = startOf(value, lineCounter) ?? startOf(pair.key as Node, lineCounter) ?? position;
      node = value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = (node.items[segment] as Node | undefined) ?? null;
      if (!item) break;
      position = startOf(item, lineCounter) ?? position;
      node = item;
    } else {
      break;
    }
  }
  return position;
}

/** Where a document's content begins (after leading comments), 1-based. */
export function documentStart(doc: Document, lineCounter: LineCounter): Position {
  return startOf(doc.contents as Node | null, lineCounter) ?? toPosition(lineCounter, doc.range?.[0] ?? 0);
}

function startOf(node: Node | null | undefined, lineCounter: LineCounter): Position | null {
  if (!node?.range) return null;
  return toPosition(lineCounter, node.range[0]);
}

function toPosition(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
