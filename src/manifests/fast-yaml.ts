// A fast reader for the plain block-YAML that Kubernetes manifests are almost always written in, used
// before the full `yaml` parser because that one costs ~250 µs per manifest on this machine (2.5 s for
// 10,000). It understands block mappings and sequences, single-line plain and quoted scalars, comments,
// `---` separators, one-line flow mappings and sequences of scalars (`resources: { cpu: 1 }`, `[a, b]`),
// and YAML 1.2 core-schema scalars, and gives back exactly what `yaml`'s toJS would. Anything else
// (anchors, aliases, tags, block or multi-line scalars, nested or multi-line flow collections, escapes,
// tabs, CR line ends, odd keys, duplicates) makes it return null and
// the caller parses the file with `yaml` instead, so the full parser stays the authority on every
// unusual file and on every error message. test/unit/manifests-fast-yaml.test.ts checks it against `yaml`.

export interface FastDocument {
  value: unknown;
  /** 1-based line/column where the document's content starts */
  line: number;
  column: number;
}

interface Line {
  /** 0-based line number in the file */
  no: number;
  indent: number;
  /** content after the indentation; comments and trailing spaces are not stripped yet */
  text: string;
}

class Bail extends Error {}
const BAIL = new Bail();
/**
 * Characters JavaScript's trim() removes but YAML treats as content (only space and tab are YAML
 * whitespace), and the BOM (which `yaml` drops also after leading comment lines): a file holding any
 * of them goes to the full parser, so no trim here can change a value.
 */
const NOT_YAML_WHITESPACE = /[\v\f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
/** YAML: an implicit key's `:` is at most 1024 characters after the key starts */
const MAX_IMPLICIT_KEY = 1024;

/** Documents of a multi-document YAML file, or null when the file needs the full parser. */
export function fastParseYaml(source: string): FastDocument[] | null {
  if (source.includes('\t') || source.includes('\r') || NOT_YAML_WHITESPACE.test(source)) return null;
  try {
    return parseStream(source);
  } catch (err) {
    if (err instanceof Bail) return null;
    throw err;
  }
}

function parseStream(source: string): FastDocument[] {
  const rawLines = source.split('\n');
  const docs: FastDocument[] = [];
  let current: Line[] = [];
  let sawMarker = false;
  const flush = () => {
    if (current.length > 0) docs.push(parseDocument(current));
    else if (sawMarker) docs.push({ value: null, line: 1, column: 1 });
    current = [];
  };
  for (let no = 0; no < rawLines.length; no++) {
    const raw = rawLines[no];
    if (raw.startsWith('---')) {
      const rest = raw.slice(3);
      if (rest.length > 0 && !/^ +(#.*)?$/.test(rest)) throw BAIL; // content after --- on the same line
      if (current.length > 0 || docs.length > 0 || sawMarker) flush();
      sawMarker = true;
      continue;
    }
    if (raw.startsWith('...') || raw.startsWith('%')) throw BAIL;
    let indent = 0;
    while (indent < raw.length && raw.charCodeAt(indent) === 32) indent++;
    if (indent === raw.length) continue; // blank
    const text = raw.slice(indent);
    if (text.charCodeAt(0) === 35 /* # */) continue; // comment line
    current.push({ no, indent, text: text.trimEnd() });
  }
  if (current.length > 0) docs.push(parseDocument(current));
  return docs;
}

function parseDocument(lines: Line[]): FastDocument {
  const parser = new BlockParser(lines);
  const first = lines[0];
  const value = parser.block(first.indent);
  if (parser.pos !== lines.length) throw BAIL;
  if (value === null || typeof value !== 'object') throw BAIL; // a bare scalar document: leave to yaml
  return { value, line: first.no + 1, column: first.indent + 1 };
}

class BlockParser {
  pos = 0;
  constructor(private readonly lines: Line[]) {}

  block(indent: number): unknown {
    const line = this.lines[this.pos];
    if (isSequenceItem(line.text)) return this.sequence(indent);
    return this.mapping(indent);
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line.indent < indent) break;
      if (line.indent > indent || isSequenceItem(line.text)) throw BAIL;
      const { key, rest } = splitKey(line.text);
      if (Object.hasOwn(out, key)) throw BAIL; // duplicate key: yaml reports it
      this.pos++;
      if (rest === '') {
        out[key] = this.nestedValue(indent, true);
      } else {
        out[key] = scalar(rest);
        this.expectNoContinuation(indent);
      }
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line.indent < indent) break;
      if (line.indent > indent) throw BAIL;
      if (!isSequenceItem(line.text)) break;
      let offset = 1;
      while (offset < line.text.length && line.text.charCodeAt(offset) === 32) offset++;
      const rest = line.text.slice(offset);
      if (rest === '') {
        this.pos++;
        out.push(this.nestedValue(indent, false));
      } else if (isSequenceItem(rest) || rest.startsWith('#')) {
        throw BAIL; // `- - x` nesting or odd comment placement
      } else if (rest.charCodeAt(0) !== 123 && rest.charCodeAt(0) !== 91 && looksLikeMappingEntry(rest)) {
        // `- key: value` starts a mapping whose keys sit at the column of `key`
        this.lines[this.pos] = { no: line.no, indent: line.indent + offset, text: rest };
        out.push(this.mapping(line.indent + offset));
      } else {
        this.pos++;
        out.push(scalar(rest));
        this.expectNoContinuation(indent);
      }
    }
    return out;
  }

  /** The value of `key:` or `-` with nothing after it: a nested block, a compact sequence, or null. */
  private nestedValue(indent: number, allowCompactSequence: boolean): unknown {
    const next = this.lines[this.pos];
    if (!next || next.indent < indent) return null;
    if (next.indent > indent) return this.block(next.indent);
    if (allowCompactSequence && isSequenceItem(next.text)) return this.sequence(indent);
    return null;
  }

  /** A single-line scalar must not be followed by more-indented lines (multi-line plain scalars). */
  private expectNoContinuation(indent: number): void {
    const next = this.lines[this.pos];
    if (next && next.indent > indent) throw BAIL;
  }
}

function isSequenceItem(text: string): boolean {
  return text.charCodeAt(0) === 45 /* - */ && (text.length === 1 || text.charCodeAt(1) === 32);
}

function looksLikeMappingEntry(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first === 34 || first === 39) {
    const close = text.indexOf(String.fromCharCode(first), 1);
    return close > 0 && text.charCodeAt(close + 1) === 58 /* : */;
  }
  const colon = findKeyColon(text);
  return colon > 0;
}

/** Index of the `:` ending a plain key (followed by a space or the end), or -1. */
function findKeyColon(text: string): number {
  let from = 0;
  for (;;) {
    const colon = text.indexOf(':', from);
    if (colon < 0) return -1;
    // a comment before the colon means there is no key on this line
    const hash = text.indexOf(' #');
    if (hash >= 0 && hash < colon) return -1;
    if (colon + 1 === text.length || text.charCodeAt(colon + 1) === 32) return colon;
    from = colon + 1;
  }
}

const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`]/;
/** as a value, `-`, `?` and `:` only act as indicators when a space (or the end) follows: `-5`, `-Xmx1g` are plain */
const VALUE_INDICATOR_START = /^(?:[,[\]{}#&*!|>'"%@`]|[-?:](?: |$))/;

function splitKey(text: string): { key: string; rest: string } {
  let key: string;
  let after: number;
  const first = text.charCodeAt(0);
  if (first === 34 || first === 39) {
    const quoted = readQuoted(text);
    if (text.charCodeAt(quoted.end) !== 58) throw BAIL;
    key = quoted.value;
    after = quoted.end + 1;
  } else {
    const colon = findKeyColon(text);
    if (colon <= 0) throw BAIL;
    key = text.slice(0, colon).trimEnd();
    if (INDICATOR_START.test(key) || key !== text.slice(0, colon) || resolvePlain(key) !== key) throw BAIL;
    after = colon + 1;
  }
  if (key === '<<' || key === '__proto__' || key === 'constructor' || key === '') throw BAIL;
  if (after - 1 >= MAX_IMPLICIT_KEY) throw BAIL;
  if (after < text.length && text.charCodeAt(after) !== 32) throw BAIL;
  return { key, rest: stripComment(text.slice(after).trimStart()) };
}

/** Drops a trailing ` # comment` from a plain value (quoted values are handled by scalar()). */
function stripComment(rest: string): string {
  if (rest.startsWith('#')) return '';
  const first = rest.charCodeAt(0);
  if (first === 34 || first === 39) return rest;
  const hash = rest.indexOf(' #');
  return hash >= 0 ? rest.slice(0, hash).trimEnd() : rest;
}

function scalar(text: string): unknown {
  const first = text.charCodeAt(0);
  if (first === 34 || first === 39) {
    const quoted = readQuoted(text);
    const tail = text.slice(quoted.end);
    if (tail !== '' && !/^ +(#.*)?$/.test(tail)) throw BAIL;
    return quoted.value;
  }
  const plain = stripComment(text);
  if (plain === '[]' || plain === '[ ]') return [];
  if (plain === '{}' || plain === '{ }') return {};
  if (first === 123 /* { */ || first === 91 /* [ */) return flowCollection(text);
  if (VALUE_INDICATOR_START.test(plain)) throw BAIL;
  if (plain.includes(': ') || plain.endsWith(':') || plain.includes(' #')) throw BAIL;
  return resolvePlain(plain);
}

/**
 * A flow mapping or sequence on one line whose entries are scalars: `{ memory: "2048m", cpu: 1 }`,
 * `[a, "b"]`. Nesting, comments, empty entries, implicit or explicit null values, and plain scalars
 * with a colon (whose meaning in flow context is subtle) are left to `yaml`.
 */
function flowCollection(text: string): unknown {
  if (text.includes('#')) throw BAIL;
  const mapping = text.charCodeAt(0) === 123;
  if (text.charAt(text.length - 1) !== (mapping ? '}' : ']')) throw BAIL;
  const items = splitFlowItems(text.slice(1, -1));
  if (!mapping) return items.map(flowScalar);
  const out: Record<string, unknown> = {};
  for (const item of items) {
    let key: string;
    let after: number;
    const first = item.charCodeAt(0);
    if (first === 34 || first === 39) {
      const quoted = readQuoted(item);
      key = quoted.value;
      after = quoted.end;
    } else {
      after = item.indexOf(':');
      if (after <= 0) throw BAIL;
      key = item.slice(0, after);
      if (INDICATOR_START.test(key) || key !== key.trim() || resolvePlain(key) !== key) throw BAIL;
    }
    if (item.charCodeAt(after) !== 58 || item.charCodeAt(after + 1) !== 32) throw BAIL;
    if (key === '<<' || key === '__proto__' || key === 'constructor' || key === '') throw BAIL;
    if (Object.hasOwn(out, key)) throw BAIL;
    out[key] = flowScalar(item.slice(after + 2).trim());
  }
  return out;
}

/** The comma-separated entries of a flow collection's inside, trimmed; quotes respected. */
function splitFlowItems(inner: string): string[] {
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === 34 || c === 39) {
      i += readQuoted(inner.slice(i)).end - 1;
    } else if (c === 91 || c === 93 || c === 123 || c === 125) {
      throw BAIL; // nested collection
    } else if (c === 44 /* , */) {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = inner.slice(start).trim();
  if (last !== '' || items.length === 0) items.push(last);
  if (items.some((item) => item === '')) throw BAIL;
  return items;
}

/** One scalar entry of a flow collection. */
function flowScalar(item: string): unknown {
  const first = item.charCodeAt(0);
  if (first === 34 || first === 39) {
    const quoted = readQuoted(item);
    if (quoted.end !== item.length) throw BAIL;
    return quoted.value;
  }
  if (item === '' || VALUE_INDICATOR_START.test(item) || /[:"']/.test(item)) throw BAIL;
  return resolvePlain(item);
}

/** A quoted scalar that closes on the same line and has no escapes. */
function readQuoted(text: string): { value: string; end: number } {
  const quote = text.charAt(0);
  if (quote === '"') {
    const close = text.indexOf('"', 1);
    if (close < 0) throw BAIL;
    const value = text.slice(1, close);
    if (value.includes('\\')) throw BAIL;
    return { value, end: close + 1 };
  }
  let value = '';
  let i = 1;
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) throw BAIL;
    value += text.slice(i, close);
    if (text.charAt(close + 1) === "'") {
      value += "'";
      i = close + 2;
      continue;
    }
    return { value, end: close + 1 };
  }
}

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_RE = /^[-+]?[0-9]+$/;
const OCT_RE = /^0o[0-7]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** YAML 1.2 core schema resolution of a plain scalar, as the `yaml` package does it. */
function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  // fast exits: null/bool words are at most 5 characters, numbers start with a digit, sign or dot
  const maybeNumber = (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46;
  if (!maybeNumber) {
    if (text.length > 5) return text;
    if (NULL_RE.test(text)) return null;
    if (BOOL_RE.test(text)) return c === 116 || c === 84;
    return text;
  }
  // the same parseInt/parseFloat calls as yaml's core schema, so even lossy big numbers come out identical
  if (INT_RE.test(text)) return Number.parseInt(text, 10);
  if (OCT_RE.test(text)) return Number.parseInt(text.slice(2), 8);
  if (HEX_RE.test(text)) return Number.parseInt(text.slice(2), 16);
  if (FLOAT_SPECIAL_RE.test(text)) {
    if (text.endsWith('nan') || text.endsWith('NaN') || text.endsWith('NAN')) return Number.NaN;
    return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (FLOAT_EXP_RE.test(text) || FLOAT_RE.test(text)) return Number.parseFloat(text);
  return text;
}
