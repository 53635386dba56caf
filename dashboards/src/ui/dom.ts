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
