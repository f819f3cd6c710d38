/**
 * A reader of comma-separated values as RFC 4180 defines them, for the conformance check's oracle
 * files (loghub's `*_structured.csv`). Pure; the project has no CSV library and needs only reading.
 */

/** The input is not RFC 4180 CSV; `row` (1-based, counting the header) says where. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(`CSV row ${row}: ${message}`);
    this.name = 'CsvError';
  }
}

/**
 * The records of a CSV text, each an array of fields. Follows RFC 4180: fields are separated by
 * commas and records by CRLF or LF (a lone CR inside an unquoted field is kept); a field in double
 * quotes may hold commas, line breaks and `""` for a quote. Also accepts a UTF-8 byte-order mark
 * and a missing final line break. An empty last line is not a record.
 *
 * Throws CsvError for a quote inside an unquoted field, text after a closing quote, or an
 * unterminated quoted field: a lenient reader would shift every later column silently.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  // Whether the current record has begun (a field or separator was read), so that a trailing line
  // break does not add an empty record.
  let started = false;
  const endField = (): void => {
    record.push(field);
    field = '';
  };
  const endRecord = (): void => {
    endField();
    records.push(record);
    record = [];
    started = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      if (field !== '') throw new CsvError('a quote inside an unquoted field', records.length + 1);
      // A quoted field: read to its closing quote.
      const startRow = records.length + 1;
      i++;
      for (;;) {
        if (i >= text.length) throw new CsvError('a quoted field is not closed', startRow);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += q;
        i++;
      }
      started = true;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[i + 1] === '\n')) {
        throw new CsvError('text after a closing quote', startRow);
      }
      continue;
    }
    if (c === ',') {
      endField();
      started = true;
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      endRecord();
      i += c === '\r' ? 2 : 1;
    } else {
      field += c;
      started = true;
      i++;
    }
  }
  if (started || field !== '') endRecord();
  return records;
}

/**
 * The records of a CSV text with a header row, as objects keyed by the header's column names.
 * Throws CsvError when a record has a different number of fields than the header.
 */
export function parseCsvWithHeader(text: string): { columns: string[]; rows: Array<Record<string, string>> } {
  const [columns, ...records] = parseCsv(text);
  if (!columns) return { columns: [], rows: [] };
  const rows = records.map((fields, index) => {
    if (fields.length !== columns.length) throw new CsvError(`${fields.length} fields where the header has ${columns.length}`, index + 2);
    return Object.fromEntries(columns.map((name, k) => [name, fields[k]]));
  });
  return { columns, rows };
}
