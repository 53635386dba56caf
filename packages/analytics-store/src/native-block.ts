/**
 * Rows as ONE block of ClickHouse's Native format (columnar, typed, nothing for the engine to
 * parse): what `AnalyticsStore.insertNative` sends. The engine takes such a block several times
 * faster than the same rows as JSONEachRow text (bench/results/analytics-ingest.json), and encoding
 * it in JavaScript costs no more than JSON.stringify.
 *
 * Layout (https://clickhouse.com/docs/interfaces/formats/Native, checked against the block chdb
 * itself writes): varUInt column count, varUInt row count, then per column its name, its type and
 * its values, all rows of it together. Nullable(T): one byte per row (1 = NULL), then T for every row
 * (a default where NULL). String: varUInt byte length + UTF-8. Numbers little-endian.
 * LowCardinality(T) is sent as plain T (the insert casts it; its own dictionary encoding is not
 * worth writing here).
 *
 * Only the types the project's tables use have a writer; any other type is refused when the
 * encoder is built, and a value its column cannot hold exactly throws (never wraps or rounds).
 */
import { endianness } from 'node:os';

export interface NativeColumn {
  name: string;
  /** The column's type as DESCRIBE TABLE reports it, e.g. `LowCardinality(Nullable(String))`. */
  type: string;
}

export interface NativeBlock {
  /** The columns in block order, with the types written into the block. */
  columns: readonly NativeColumn[];
  rows: number;
  bytes: Buffer;
}

type ScalarType =
  | 'String'
  | 'Bool'
  | 'UInt8'
  | 'UInt16'
  | 'UInt32'
  | 'UInt64'
  | 'Int64'
  | 'Float64'
  | 'DateTime64(3)';

interface ColumnWriter {
  name: string;
  /** The type as written into the block (LowCardinality removed). */
  blockType: string;
  nullable: boolean;
  scalar: ScalarType;
}

const SCALARS: ReadonlySet<string> = new Set([
  'String',
  'Bool',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Int64',
  'Float64',
]);
const INTEGER_MAX: Partial<Record<ScalarType, number>> = { UInt8: 0xff, UInt16: 0xffff, UInt32: 0xffffffff };

if (endianness() !== 'LE')
  throw new Error('native-block writes little-endian numbers through Buffer methods only');

/** A writer per column; throws for a type without one (a new column type needs a writer here first). */
export function nativeColumnWriters(columns: readonly NativeColumn[]): ColumnWriter[] {
  return columns.map(({ name, type }) => {
    let inner = unwrap(type, 'LowCardinality') ?? type;
    const nullableOf = unwrap(inner, 'Nullable');
    const nullable = nullableOf !== undefined;
    if (nullableOf !== undefined) inner = nullableOf;
    let scalar: ScalarType;
    if (SCALARS.has(inner)) scalar = inner as ScalarType;
    // Milliseconds; the time zone only changes how the engine prints them.
    else if (/^DateTime64\(3(, '[^']*')?\)$/.test(inner)) scalar = 'DateTime64(3)';
    else throw new TypeError(`column ${name}: no Native writer for type ${type}`);
    return { name, blockType: nullable ? `Nullable(${inner})` : inner, nullable, scalar };
  });
}

function unwrap(type: string, wrapper: string): string | undefined {
  return type.startsWith(`${wrapper}(`) && type.endsWith(')')
    ? type.slice(wrapper.length + 1, -1)
    : undefined;
}

/**
 * Encodes `rows` (objects keyed by column name) as one Native block of `columns`. A missing or
 * `null` value is NULL in a Nullable column and an error in any other.
 */
export function encodeNativeBlock(
  columns: readonly NativeColumn[],
  rows: readonly Readonly<Record<string, unknown>>[],
): NativeBlock {
  const writers = nativeColumnWriters(columns);
  const out = new GrowableBuffer(64 + rows.length * writers.length * 8);
  out.varUInt(writers.length);
  out.varUInt(rows.length);
  // One column at a time (the block's own order): each loop reads one key and writes one type.
  const values: unknown[] = new Array(rows.length);
  for (const writer of writers) {
    out.string(writer.name);
    out.string(writer.blockType);
    const { name } = writer;
    for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Record<string, unknown>)[name];
    if (writer.nullable) {
      out.ensure(rows.length);
      for (let i = 0; i < rows.length; i++) out.u8(values[i] == null ? 1 : 0);
    }
    writeValues(out, writer, values);
  }
  return {
    columns: writers.map((w) => ({ name: w.name, type: w.blockType })),
    rows: rows.length,
    bytes: out.bytes(),
  };
}

function writeValues(out: GrowableBuffer, writer: ColumnWriter, values: readonly unknown[]): void {
  const { nullable, scalar } = writer;
  const fail = (value: unknown, why: string): never => {
    throw new RangeError(`column ${writer.name} (${writer.blockType}): ${JSON.stringify(value)} ${why}`);
  };
  const width = FIXED_WIDTH[scalar] ?? 1;
  out.ensure(values.length * width);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value == null) {
      if (!nullable) fail(value, 'is missing in a column that is not Nullable');
      out.zeros(width);
      continue;
    }
    switch (scalar) {
      case 'String':
        if (typeof value !== 'string') fail(value, 'is not a string');
        out.string(value as string);
        break;
      case 'Bool':
        if (typeof value !== 'boolean') fail(value, 'is not a boolean');
        out.u8(value ? 1 : 0);
        break;
      case 'UInt8':
      case 'UInt16':
      case 'UInt32': {
        if (
          !(
            typeof value === 'number' &&
            Number.isInteger(value) &&
            value >= 0 &&
            value <= (INTEGER_MAX[scalar] as number)
          )
        ) {
          fail(value, `is not a ${scalar}`);
        }
        if (scalar === 'UInt8') out.u8(value as number);
        else if (scalar === 'UInt16') out.u16(value as number);
        else out.u32(value as number);
        break;
      }
      case 'UInt64':
        out.u64(
          unsigned64(value) ?? fail(value, 'is not a UInt64 (a non-negative safe integer or decimal string)'),
        );
        break;
      case 'Int64':
        if (!Number.isSafeInteger(value)) fail(value, 'is not a safe integer');
        out.i64(value as number);
        break;
      case 'Float64':
        if (typeof value !== 'number') fail(value, 'is not a number');
        out.f64(value as number);
        break;
      case 'DateTime64(3)':
        out.i64(
          epochMs(value) ?? fail(value, "is neither epoch milliseconds nor 'YYYY-MM-DD hh:mm:ss.sss' (UTC)"),
        );
        break;
    }
  }
}

const FIXED_WIDTH: Partial<Record<ScalarType, number>> = {
  Bool: 1,
  UInt8: 1,
  UInt16: 2,
  UInt32: 4,
  UInt64: 8,
  Int64: 8,
  Float64: 8,
  'DateTime64(3)': 8,
};

/** A non-negative integer as a number (≤ 2^53 - 1) or a decimal string of a UInt64 (Kafka offsets). */
function unsigned64(value: unknown): number | bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) return undefined;
  if (value.length < 16) return Number(value);
  const big = BigInt(value);
  return big <= 0xffff_ffff_ffff_ffffn ? big : undefined;
}

// The rows of one batch share a handful of receive times: parse each text once.
let lastDateText = '';
let lastDateMs = 0;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/;
function epochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (value === lastDateText) return lastDateMs;
  if (!DATE_TEXT.test(value)) return undefined;
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return undefined;
  lastDateText = value;
  lastDateMs = ms;
  return ms;
}

/** A byte buffer that doubles when a write needs more room; numbers through a DataView (inlined by V8). */
class GrowableBuffer {
  #buf: Buffer;
  #view: DataView;
  #pos = 0;

  constructor(initialBytes: number) {
    this.#buf = Buffer.allocUnsafe(Math.max(256, initialBytes));
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
  }

  ensure(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
    this.#view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  bytes(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }

  u8(value: number): void {
    this.ensure(1);
    this.#buf[this.#pos++] = value;
  }

  u16(value: number): void {
    this.ensure(2);
    this.#view.setUint16(this.#pos, value, true);
    this.#pos += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.#view.setUint32(this.#pos, value, true);
    this.#pos += 4;
  }

  u64(value: number | bigint): void {
    this.ensure(8);
    if (typeof value === 'bigint') this.#view.setBigUint64(this.#pos, value, true);
    else {
      this.#view.setUint32(this.#pos, value % 0x1_0000_0000, true);
      this.#view.setUint32(this.#pos + 4, Math.floor(value / 0x1_0000_0000), true);
    }
    this.#pos += 8;
  }

  i64(value: number): void {
    this.ensure(8);
    const low = ((value % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
    this.#view.setUint32(this.#pos, low, true);
    this.#view.setInt32(this.#pos + 4, (value - low) / 0x1_0000_0000, true);
    this.#pos += 8;
  }

  f64(value: number): void {
    this.ensure(8);
    this.#view.setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  zeros(bytes: number): void {
    this.ensure(bytes);
    this.#buf.fill(0, this.#pos, this.#pos + bytes);
    this.#pos += bytes;
  }

  varUInt(value: number): void {
    this.ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.#buf[this.#pos++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.#buf[this.#pos++] = rest;
  }

  /** varUInt byte length, then UTF-8. */
  string(value: string): void {
    const length = value.length;
    // Ids, names and dimensions are short ASCII: copied char by char, no call into C++ per value.
    if (length < 128) {
      this.ensure(1 + length);
      const buf = this.#buf;
      const start = this.#pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buf[start + i] = code;
      }
      if (i === length) {
        buf[this.#pos] = length;
        this.#pos = start + length;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varUInt(bytes);
    this.ensure(bytes);
    this.#pos += this.#buf.write(value, this.#pos, 'utf8');
  }
}
