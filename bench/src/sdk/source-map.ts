/**
 * Which source file a position in the bundle came from, from the bundle's source map (v3): enough to
 * attribute a CPU profile of the minified script to the SDK's own files, @svta/cml-cmcd or video.js.
 */
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

export interface SourceLookup {
  /** The source file of the code at this 0-based line and column of the bundle. */
  sourceAt(line: number, column: number): string | undefined;
}

export function sourceLookup(map: { sources: string[]; mappings: string }): SourceLookup {
  // Per generated line: [column, source index] pairs, in column order.
  const lines: [number, number][][] = [];
  let source = 0;
  for (const text of map.mappings.split(';')) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const part of text.split(',')) {
      if (part === '') continue;
      const fields = decodeVlq(part);
      column += fields[0] ?? 0;
      if (fields.length >= 4) {
        source += fields[1] ?? 0;
        segments.push([column, source]);
      }
    }
    lines.push(segments);
  }
  return {
    sourceAt(line, column) {
      const segments = lines[line] ?? [];
      let lo = 0;
      let hi = segments.length - 1;
      let found: number | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const segment = segments[mid] as [number, number];
        if (segment[0] <= column) {
          found = segment[1];
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found === undefined ? undefined : map.sources[found];
    },
  };
}
