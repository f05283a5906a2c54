/**
 * The "Batches" GraphiQL plugin: its sidebar icon and its panel. GraphiQL mounts a plugin's content
 * only while it is visible, so the panel being mounted is what "open" means for the fetcher's
 * trace header.
 */
import type { GraphiQLPlugin } from '@graphiql/react';
import { useEffect } from 'react';
import { BatchesPanel } from './batches-panel.tsx';

let openPanels = 0;

/** The Batches panel is open: queries then ask for the inference report. */
export function isBatchesPanelOpen(): boolean {
  return openPanels > 0;
}

function BatchesContent() {
  useEffect(() => {
    openPanels++;
    return () => {
      openPanels--;
    };
  }, []);
  return <BatchesPanel />;
}

function BatchesIcon() {
  // Three bars on a time axis: runs of different lengths.
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M3 20.5h18" />
      <rect x="3.5" y="4" width="9" height="3.5" rx="1" />
      <rect x="7.5" y="9.5" width="12" height="3.5" rx="1" />
      <rect x="5.5" y="15" width="5" height="3" rx="1" />
    </svg>
  );
}

export const batchesPlugin: GraphiQLPlugin = { title: 'Batches', icon: BatchesIcon, content: BatchesContent };
