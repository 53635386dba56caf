/**
 * Orders strings by Unicode code point, which is the byte order of their UTF-8 encoding: the order
 * S3 lists keys in and Redis breaks score ties in. Plain `<` compares UTF-16 code units, which puts
 * astral characters before U+E000–U+FFFF and would disagree with both.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
