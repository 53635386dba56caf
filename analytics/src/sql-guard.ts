/**
 * Which analyst statements may run on an engine without users (chdb). ClickHouse's own parser
 * decides, never a regex: `formatQuerySingleLine` refuses multi-statements and gives the one
 * canonical text that is then explained AND executed, and `EXPLAIN AST` names the statement kind,
 * every function, table function and table. `readonly = 1` is the second wall, but on chdb 26.7 it
 * does not stop the scalar `file('/etc/passwd')` nor `INTO OUTFILE` (both reproduced here), so those
 * are refused by name. On a ClickHouse server the SQL user's grants do this job (docs/sql.md).
 */
import type { AnalyticsStore, ReadonlyLimits } from '@streamloop/analytics-store/analytics-store';

export type SqlRefusal =
  | 'statement_not_allowed'
  | 'clause_not_allowed'
  | 'settings_not_allowed'
  | 'function_not_allowed'
  | 'table_function_not_allowed'
  | 'table_not_allowed';

export type SqlVerdict =
  | { kind: 'allowed'; sql: string }
  | { kind: 'refused'; reason: SqlRefusal; detail: string };

/** Table functions that only compute; everything else reads or writes somewhere. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'values',
  'generateseries',
  'generate_series',
]);

/** system tables an analyst needs to find their way (schema, functions, types), and nothing else. */
export const ALLOWED_SYSTEM_TABLES: ReadonlySet<string> = new Set([
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'tables',
  'columns',
  'functions',
  'data_type_families',
  'time_zones',
]);

/** Functions that reach outside the database, whether called as a table function or a scalar. */
const SOURCE_FUNCTIONS: ReadonlySet<string> = new Set(
  [
    'file',
    'fileCluster',
    'url',
    'urlCluster',
    's3',
    's3Cluster',
    'gcs',
    'azureBlobStorage',
    'azureBlobStorageCluster',
    'hdfs',
    'hdfsCluster',
    'remote',
    'remoteSecure',
    'cluster',
    'clusterAllReplicas',
    'executable',
    'executablePool',
    'mysql',
    'postgresql',
    'mongodb',
    'redis',
    'sqlite',
    'jdbc',
    'odbc',
    'input',
    'iceberg',
    'deltaLake',
    'hudi',
    'dictionary',
    'merge',
    'joinGet',
    'joinGetOrNull',
  ].map((name) => name.toLowerCase()),
);

/** What the engine needs to explain a statement; its limits bound the parse itself. */
export type SqlParser = Pick<AnalyticsStore, 'readonlyQuery' | 'readonlyStream'>;

const PARSE_LIMITS: ReadonlyLimits = { maxExecutionTimeS: 5, maxResultRows: 100_000 };

/** Parses `sql` with the engine and decides; engine errors (syntax, a SETTINGS clause) propagate. */
export async function inspectSql(
  parser: SqlParser,
  sql: string,
  params: Record<string, unknown>,
  database: string,
): Promise<SqlVerdict> {
  const [formatted] = await parser.readonlyQuery<{ sql: string }>(
    'SELECT formatQuerySingleLine({sql:String}) AS sql',
    { sql },
    PARSE_LIMITS,
  );
  const canonical = formatted?.sql ?? '';
  const lines: string[] = [];
  // The appended FORMAT becomes part of the explained statement, not the EXPLAIN's own output
  // format: `default_format` is what makes the EXPLAIN answer in JSON lines.
  for await (const line of await parser.readonlyStream(`EXPLAIN AST ${canonical}`, params, PARSE_LIMITS, {
    format: 'JSONEachRow',
    outputSettings: { default_format: 'JSONEachRow' },
  })) {
    const row = JSON.parse(line) as { explain?: unknown };
    if (typeof row.explain !== 'string') return refused('clause_not_allowed', CLAUSE_DETAIL);
    lines.push(row.explain);
  }
  return judgeAst(parseAstLines(lines), database) ?? { kind: 'allowed', sql: canonical };
}

const CLAUSE_DETAIL = 'INTO OUTFILE and FORMAT are not allowed; choose the format in the request';

export interface AstNode {
  /** e.g. `SelectWithUnionQuery`, `Function`, `TableIdentifier` */
  kind: string;
  /** What follows the kind: a function or table name, a literal */
  name: string;
  children: AstNode[];
}

/** `EXPLAIN AST` prints one node per line, children indented one space deeper than their parent. */
export function parseAstLines(lines: readonly string[]): AstNode | undefined {
  const root: AstNode = { kind: '', name: '', children: [] };
  const stack: { depth: number; node: AstNode }[] = [{ depth: -1, node: root }];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const depth = line.length - line.trimStart().length;
    const text = line.trim().replace(/\s*\(children \d+\)$/, '');
    const space = text.indexOf(' ');
    const rest = space < 0 ? '' : text.slice(space + 1).trim();
    const node: AstNode = {
      kind: space < 0 ? text : text.slice(0, space),
      // `Function file (alias f)`: the name without the alias; a Literal keeps its whole text.
      name: rest.replace(/ \(alias [^)]*\)$/, ''),
      children: [],
    };
    while ((stack.at(-1)?.depth ?? -1) >= depth) stack.pop();
    stack.at(-1)?.node.children.push(node);
    stack.push({ depth, node });
  }
  return root.children[0];
}

const refused = (reason: SqlRefusal, detail: string): SqlVerdict => ({ kind: 'refused', reason, detail });

function judgeAst(root: AstNode | undefined, database: string): SqlVerdict | undefined {
  if (root?.kind !== 'SelectWithUnionQuery') {
    return refused(
      'statement_not_allowed',
      `only SELECT (and WITH … SELECT, UNION) may run here, not ${describeKind(root?.kind)}`,
    );
  }
  // ExpressionList + the format the client appended. A FORMAT of the analyst's own replaces that one
  // (chdb) or is a duplicate (a server's syntax error); INTO OUTFILE adds a third child.
  const [, appended, ...more] = root.children;
  if (more.length > 0 || appended?.kind !== 'Identifier' || appended.name !== 'JSONEachRow') {
    return refused('clause_not_allowed', CLAUSE_DETAIL);
  }
  return walk(root, undefined, database);
}

function walk(node: AstNode, parent: AstNode | undefined, database: string): SqlVerdict | undefined {
  const verdict = judgeNode(node, parent, database);
  if (verdict !== undefined) return verdict;
  for (const child of node.children) {
    const found = walk(child, node, database);
    if (found !== undefined) return found;
  }
  return undefined;
}

function judgeNode(node: AstNode, parent: AstNode | undefined, database: string): SqlVerdict | undefined {
  if (node.kind === 'Set') {
    return refused(
      'settings_not_allowed',
      'SETTINGS clauses are not allowed: the limits of this endpoint are fixed',
    );
  }
  if (node.kind === 'Function') {
    const name = node.name.toLowerCase();
    if (SOURCE_FUNCTIONS.has(name)) {
      return refused(
        'function_not_allowed',
        `${node.name}() reads outside the analytics database and is not allowed`,
      );
    }
    if (parent?.kind === 'TableExpression' && !ALLOWED_TABLE_FUNCTIONS.has(name)) {
      return refused(
        'table_function_not_allowed',
        `table function ${node.name}() is not allowed; allowed: ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')}`,
      );
    }
  }
  if (node.kind === 'TableIdentifier') return judgeTable(node.name, database);
  return undefined;
}

function judgeTable(qualified: string, database: string): SqlVerdict | undefined {
  const dot = qualified.indexOf('.');
  // Unqualified: a table of the analytics database (the session's current one) or a CTE.
  if (dot < 0) return undefined;
  const db = qualified.slice(0, dot);
  const table = qualified.slice(dot + 1);
  if (db === database) return undefined;
  if (db.toLowerCase() === 'system' && ALLOWED_SYSTEM_TABLES.has(table)) return undefined;
  return refused(
    'table_not_allowed',
    db.toLowerCase() === 'system'
      ? `system.${table} is not allowed; allowed: ${[...ALLOWED_SYSTEM_TABLES].map((t) => `system.${t}`).join(', ')}`
      : `only tables of the analytics database may be read, not ${qualified}`,
  );
}

function describeKind(kind: string | undefined): string {
  if (kind === undefined) return 'a statement the parser could not explain';
  // InsertQuery → INSERT, AlterQuery → ALTER, DropQuery → DROP; Set stays SET.
  return `${kind.replace(/Query$/, '').toUpperCase()}`;
}
