/** Building table rows without innerHTML: every text from the server goes in as textContent. */

export function cell(
  text: string,
  data: Record<string, string> = {},
  className?: string,
): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  for (const [name, value] of Object.entries(data)) td.dataset[name] = value;
  if (className) td.className = className;
  return td;
}

/** An empty-table row spanning every column, saying why nothing is listed. */
export function emptyRow(columns: number, text: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const td = cell(text, {}, 'empty');
  td.colSpan = columns;
  tr.append(td);
  return tr;
}

/**
 * A row the privacy floor withheld (analytics' privacy-floor.ts): its name, then one cell saying why
 * its numbers are not shown, so the table admits the value exists without singling anyone out.
 */
export function suppressedRow(name: string, columns: number, minViewers: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.value = name;
  tr.dataset.suppressed = 'true';
  const why = cell(`< ${minViewers} viewers`, { column: 'suppressed' }, 'muted');
  why.colSpan = columns - 1;
  why.title = `Fewer than ${minViewers} distinct viewers: hidden so no one can be singled out`;
  tr.append(cell(name, { column: 'value' }, 'muted'), why);
  return tr;
}
