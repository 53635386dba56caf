/**
 * ClickHouse rows (JSONCompactEachRowWithNamesAndTypes lines) → an Arrow IPC stream, one record
 * batch per `batchRows` rows, so a large result is never held whole. Types map to the nearest Arrow
 * type; what has none here (Array, Map, Tuple, JSON, Decimal beyond 2^53…) travels as its JSON text.
 * DateTime values must arrive as epoch seconds (`date_time_output_format = 'unix_timestamp'`).
 */
import { pipeline, Readable } from 'node:stream';
import {
  Bool,
  type DataType,
  DateDay,
  Field,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

/** Output settings the source query needs for `toArrowStream`. */
export const ARROW_SOURCE_SETTINGS = { date_time_output_format: 'unix_timestamp' } as const;

interface ColumnCodec {
  type: DataType;
  convert(value: unknown): unknown;
}

const asNumber = (v: unknown) => Number(v);
const asBigInt = (v: unknown) => BigInt(v as string | number);
const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

const SIMPLE_TYPES: Record<string, () => ColumnCodec> = {
  Int8: () => ({ type: new Int8(), convert: asNumber }),
  Int16: () => ({ type: new Int16(), convert: asNumber }),
  Int32: () => ({ type: new Int32(), convert: asNumber }),
  Int64: () => ({ type: new Int64(), convert: asBigInt }),
  UInt8: () => ({ type: new Uint8(), convert: asNumber }),
  UInt16: () => ({ type: new Uint16(), convert: asNumber }),
  UInt32: () => ({ type: new Uint32(), convert: asNumber }),
  UInt64: () => ({ type: new Uint64(), convert: asBigInt }),
  Float32: () => ({ type: new Float64(), convert: asNumber }),
  Float64: () => ({ type: new Float64(), convert: asNumber }),
  Bool: () => ({ type: new Bool(), convert: (v) => v === true || v === 1 || v === 'true' }),
  Date: () => ({ type: new DateDay(), convert: (v) => new Date(`${v}T00:00:00Z`) }),
  Date32: () => ({ type: new DateDay(), convert: (v) => new Date(`${v}T00:00:00Z`) }),
};

/** `Nullable(LowCardinality(String))` → { base: 'String', nullable: true } */
function unwrap(type: string): { base: string; nullable: boolean } {
  let base = type;
  let nullable = false;
  for (;;) {
    const inner = /^(Nullable|LowCardinality)\((.*)\)$/.exec(base);
    if (inner === null) return { base, nullable };
    if (inner[1] === 'Nullable') nullable = true;
    base = inner[2] ?? base;
  }
}

export function codecOf(clickhouseType: string): { codec: ColumnCodec; nullable: boolean } {
  const { base, nullable } = unwrap(clickhouseType);
  const simple = SIMPLE_TYPES[base];
  if (simple !== undefined) return { codec: simple(), nullable };
  if (base.startsWith('DateTime')) {
    return {
      codec: { type: new TimestampMillisecond(), convert: (v) => Math.round(Number(v) * 1000) },
      nullable,
    };
  }
  return { codec: { type: new Utf8(), convert: asText }, nullable };
}

/** Reads the two header lines, then yields record batches of at most `batchRows` rows. */
async function* recordBatches(lines: AsyncIterable<string>, batchRows: number): AsyncIterable<RecordBatch> {
  const iterator = lines[Symbol.asyncIterator]();
  const names = await nextJson(iterator);
  const types = await nextJson(iterator);
  const columns = names.map((name, i) => ({ name: String(name), ...codecOf(String(types[i])) }));
  const schema = new Schema(columns.map((c) => new Field(c.name, c.codec.type, c.nullable)));
  let pending: unknown[][] = columns.map(() => []);
  let count = 0;
  const flush = (): RecordBatch => {
    const children = columns.map((c, i) => vectorFromArray(pending[i] ?? [], c.codec.type).data[0]!);
    const batch = new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: count, nullCount: 0, children }),
    );
    pending = columns.map(() => []);
    count = 0;
    return batch;
  };
  let emitted = false;
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    const row = JSON.parse(next.value) as unknown[];
    columns.forEach((c, i) => {
      const value = row[i];
      pending[i]?.push(value === null || value === undefined ? null : c.codec.convert(value));
    });
    if (++count >= batchRows) {
      emitted = true;
      yield flush();
    }
  }
  // A result with no rows still carries its schema (one empty batch).
  if (count > 0 || !emitted) yield flush();
}

async function nextJson(iterator: AsyncIterator<string>): Promise<unknown[]> {
  const next = await iterator.next();
  if (next.done === true) throw new Error('the result ended before its header (names and types)');
  return JSON.parse(next.value) as unknown[];
}

/**
 * A Node stream of Arrow IPC stream bytes. Piped, so a slow reader holds back the row source (Node
 * backpressure) instead of record batches piling up; an error of the source destroys it.
 */
export function toArrowStream(lines: AsyncIterable<string>, batchRows = 8192): Readable {
  const bytes = RecordBatchStreamWriter.throughNode();
  pipeline(Readable.from(recordBatches(lines, batchRows)), bytes, () => undefined);
  return bytes;
}
