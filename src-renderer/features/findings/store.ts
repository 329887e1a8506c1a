/** The one findings state of the window, wired to the engine. */
import { call } from '../../lib/api/index.ts';
import { workbench } from '../../lib/state/workbench.svelte.ts';
import { FindingsState } from './findings.svelte.ts';

export const findingsState = new FindingsState(
  {
    list: () => call('findings.list'),
    records: (refs) => call('records.get', { refs }),
    review: (findingId, status, note) => call('findings.review', { findingId, status, note }),
  },
  workbench,
);
