/**
 * `/dashboards/breakdown`: the breakdown table (breakdown-table.ts) on a page of its own, every video
 * or one, for the filters and scope picked.
 */
import type { ApiClient, QoeParams } from './api-client.js';
import { breakdownTable } from './breakdown-table.js';
import { type LoadResult, startPage } from './page-shell.js';

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const answer = await api.breakdown({ ...params, dimension: breakdownTable.dimension() });
  breakdownTable.paint(answer);
  if (answer.rows.length === 0 && answer.privacy.suppressed.length === 0)
    return { state: 'empty', message: 'No views yet in this range.', scope: answer.synthetic };
  return {
    state: 'ready',
    message: `${breakdownTable.summary(answer)} · updated ${new Date().toLocaleTimeString()}`,
    scope: answer.synthetic,
  };
}

const shell = startPage({
  allVideos: true,
  load,
  clear: () => breakdownTable.paint(null),
  stale: breakdownTable.stale,
  writeUrl: breakdownTable.writeUrl,
});
breakdownTable.connect(
  (name, value) => shell.addFilter(name, value),
  () => shell.reload(),
);
