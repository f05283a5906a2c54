/**
 * The panel's hold on GraphiQL's result pane (a Monaco editor): highlight response paths in it,
 * follow the cursor to the path it is on, and answer a hover on a prediction field with the run
 * that served it.
 */
import { useGraphiQL, useMonaco } from '@graphiql/react';
import { useEffect, useMemo, useState } from 'react';
import { type PathRange, pathAt, pathRanges } from '../panel/response-paths.ts';

/** The result pane's text, kept current. */
export function useResultText(): string {
  const editor = useGraphiQL((s) => s.responseEditor);
  const [text, setText] = useState(() => editor?.getValue() ?? '');
  useEffect(() => {
    if (!editor) return;
    setText(editor.getValue());
    const listener = editor.onDidChangeModelContent(() => setText(editor.getValue()));
    return () => listener.dispose();
  }, [editor]);
  return text;
}

/** Highlights the fields at `paths` in the result pane and scrolls the first into view; returns those found. */
export function useResultHighlights(text: string, paths: readonly string[]): PathRange[] {
  const editor = useGraphiQL((s) => s.responseEditor);
  const monaco = useMonaco((s) => s.monaco);
  const ranges = useMemo(() => pathRanges(text, paths), [text, paths]);
  useEffect(() => {
    const model = editor?.getModel();
    if (!editor || !monaco || !model || ranges.length === 0) return;
    const rangeOf = (offset: number, length: number) =>
      monaco.Range.fromPositions(model.getPositionAt(offset), model.getPositionAt(offset + length));
    const decorations = editor.createDecorationsCollection(
      ranges.flatMap((r) => [
        {
          range: rangeOf(r.offset, r.length),
          options: {
            className: 'predictql-path',
            overviewRuler: { color: '#d6338a', position: monaco.editor.OverviewRulerLane.Full },
          },
        },
        { range: rangeOf(r.keyOffset, r.keyLength), options: { inlineClassName: 'predictql-path-key' } },
      ]),
    );
    editor.revealRangeInCenterIfOutsideViewport(rangeOf(ranges[0]!.offset, 0));
    return () => decorations.clear();
  }, [editor, monaco, ranges]);
  return ranges;
}

/** The response path under the result pane's cursor (a click in the result moves it). */
export function useResultCursorPath(text: string): string | undefined {
  const editor = useGraphiQL((s) => s.responseEditor);
  const [offset, setOffset] = useState<number>();
  useEffect(() => {
    if (!editor) return;
    const listener = editor.onDidChangeCursorPosition((event) => {
      // Moves made by GraphiQL when it writes a new response are not the person's.
      if (event.source === 'modelChange') return setOffset(undefined);
      setOffset(editor.getModel()?.getOffsetAt(event.position));
    });
    return () => listener.dispose();
  }, [editor]);
  return offset === undefined ? undefined : pathAt(text, offset);
}

/** While mounted, a hover in the result pane shows `describe(path)` for the response path under the pointer. */
export function useResultHover(describe: (path: string) => string | undefined): void {
  const editor = useGraphiQL((s) => s.responseEditor);
  const monaco = useMonaco((s) => s.monaco);
  useEffect(() => {
    const model = editor?.getModel();
    if (!monaco || !model) return;
    const provider = monaco.languages.registerHoverProvider(model.getLanguageId(), {
      provideHover(hovered, position) {
        if (hovered.uri.toString() !== model.uri.toString()) return null;
        const path = pathAt(hovered.getValue(), hovered.getOffsetAt(position));
        const text = path && describe(path);
        return text ? { contents: [{ value: text }] } : null;
      },
    });
    return () => provider.dispose();
  }, [editor, monaco, describe]);
}
