/**
 * Response paths in the result pane's text (the response as JSON): where a path's field is, to
 * highlight it, and which path a position is on, to tell which run served it. Paths are the
 * report's, relative to `data`: `orderExamples.3.prediction`.
 */
import { findNodeAtLocation, getLocation, type Node, parseTree, type Segment } from 'jsonc-parser';
import type { Report, ReportBatch } from './report.ts';

/** A path's field in the text: the whole property (key and value) and its key alone. */
export interface PathRange {
  path: string;
  offset: number;
  length: number;
  keyOffset: number;
  keyLength: number;
}

export function pathRanges(text: string, paths: readonly string[]): PathRange[] {
  const root = parseTree(text);
  if (!root) return [];
  return paths.flatMap((path) => {
    const node = findNodeAtLocation(root, ['data', ...segmentsOf(path)]);
    if (!node) return [];
    // A field is a property; a list item (an index at the end) has no key of its own.
    const whole: Node = node.parent?.type === 'property' ? node.parent : node;
    const key = whole.type === 'property' ? whole.children?.[0] : undefined;
    return [{ path, offset: whole.offset, length: whole.length, keyOffset: key?.offset ?? whole.offset, keyLength: key?.length ?? 0 }];
  });
}

/** The response path (under `data`) at a character offset of the text, or undefined outside `data`. */
export function pathAt(text: string, offset: number): string | undefined {
  const [root, ...rest] = getLocation(text, offset).path;
  if (root !== 'data' || rest.length === 0) return undefined;
  return rest.join('.');
}

export interface ServedBy {
  /** The run whose listed path is the longest prefix of the path asked about. */
  batch?: ReportBatch;
  /** That listed path: the prediction field holding the position. */
  path?: string;
  /** Runs whose paths are not listed (past the server's limit): they may have served it. */
  unlisted: ReportBatch[];
}

export function servedBy(report: Report, path: string): ServedBy {
  const unlisted = report.batches.filter((b) => !b.paths);
  const keys = path.split('.');
  for (let n = keys.length; n > 0; n--) {
    const prefix = keys.slice(0, n).join('.');
    const batch = report.batches.find((b) => b.paths?.includes(prefix));
    if (batch) return { batch, path: prefix, unlisted };
  }
  return { unlisted };
}

function segmentsOf(path: string): Segment[] {
  return path.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
}
