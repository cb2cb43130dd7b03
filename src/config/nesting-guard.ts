/**
 * A linear pre-check on nesting, run before the YAML parser sees the text. The parser recurses
 * once per nesting level: thousands of levels make it slow, and in one process V8 has been seen to
 * abort outright (not a catchable error) when a second such document is parsed. So documents whose
 * nesting could be deep are refused from the token stream alone.
 *
 * The estimate over-approximates: per line, the enclosing indentation levels plus the block
 * indicators (`-`, `?`, `:`) on the line plus the open flow brackets. A real nesting depth is at
 * most about twice the estimate, so a limit of a few times the config's own depth limit refuses
 * nothing sensible and keeps the parser far from its stack.
 */
import { CST, Lexer } from 'yaml';

/** Markers the lexer inserts that are not in the text. */
const SYNTHETIC = new Set(['\u0002', '\u0018', '\u001f']);
const SCALAR_MARKER = '\u001f';

/** The offset of the token where the estimated nesting first exceeds `limit`, or -1. */
export function findExcessiveNesting(text: string, limit: number): number {
  const indents: number[] = [];
  let flow = 0;
  let offset = 0;
  let lineStart = true;
  let indent = 0;
  let lineCounted = false;
  let indicators = 0;
  let scalarSourceNext = false;

  /** The line has content: it closes the block levels indented as deep or deeper, and opens its own. */
  const noteContent = (): void => {
    if (flow > 0 || lineCounted) return;
    while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= indent) indents.pop();
    indents.push(indent);
    lineCounted = true;
  };

  const newLine = (): void => {
    lineStart = true;
    indent = 0;
    lineCounted = false;
    indicators = 0;
  };

  for (const token of new Lexer().lex(text)) {
    const start = offset;
    if (!SYNTHETIC.has(token)) offset += token.length;
    if (scalarSourceNext) {
      // The text of a plain or block scalar: nothing in it nests. Block scalar content starts
      // with its own indentation and belongs to the line of its header, so it opens nothing.
      scalarSourceNext = false;
      if (token !== '' && !/^\s/.test(token)) noteContent();
      if (token.endsWith('\n')) newLine();
      else lineStart = false;
      continue;
    }
    if (token === SCALAR_MARKER) {
      scalarSourceNext = true;
      continue;
    }
    if (SYNTHETIC.has(token)) continue;
    const type = CST.tokenType(token);
    if (type === 'newline') {
      newLine();
      continue;
    }
    if (type === 'space') {
      if (lineStart) indent = token.length;
      lineStart = false;
      continue;
    }
    lineStart = false;
    if (type === 'comment') continue;
    noteContent();
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow += 1;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (
      flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    ) {
      indicators += 1;
    }
    if (indents.length + indicators + flow > limit) return start;
  }
  return -1;
}
