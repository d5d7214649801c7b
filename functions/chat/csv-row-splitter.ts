/**
 * A streaming RFC 4180 CSV splitter: quoted fields with `""` escapes and line breaks inside quotes.
 * Feed it text chunks; it returns each complete row with its source text (for rejects).
 *
 * @example
 * const csv = new CsvRowSplitter();
 * csv.push('a,"b ""c"""\n1,2\n');  // [{ fields: ['a', 'b "c"'], text: 'a,"b ""c"""' }, { fields: ['1', '2'], text: '1,2' }]
 */
export interface CsvRow {
  fields: string[];
  text: string;
}

export class CsvRowSplitter {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private quotePending = false;
  private rowText = '';

  push(chunk: string): CsvRow[] {
    const rows: CsvRow[] = [];
    let rowStart = 0;
    for (let k = 0; k < chunk.length; k++) {
      const ch = chunk[k]!;
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (ch === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
        } else if (ch === '"') {
          this.quotePending = true;
          continue;
        } else {
          this.field += ch;
          continue;
        }
      }
      if (ch === '"' && this.field.length === 0) {
        this.inQuotes = true;
      } else if (ch === ',') {
        this.fields.push(this.field);
        this.field = '';
      } else if (ch === '\n') {
        this.fields.push(this.field.endsWith('\r') ? this.field.slice(0, -1) : this.field);
        let text = this.rowText + chunk.slice(rowStart, k);
        if (text.endsWith('\r')) text = text.slice(0, -1);
        rows.push({ fields: this.fields, text });
        this.fields = [];
        this.field = '';
        this.rowText = '';
        rowStart = k + 1;
      } else {
        this.field += ch;
      }
    }
    this.rowText += chunk.slice(rowStart);
    return rows;
  }

  /** The last row when the file does not end with a newline; `unterminated` when a quote was left open. */
  end(): { row: CsvRow | null; unterminated: boolean } {
    const unterminated = this.inQuotes && !this.quotePending;
    if (this.rowText.length === 0 && this.fields.length === 0 && this.field.length === 0) return { row: null, unterminated };
    this.fields.push(this.field);
    const row = { fields: this.fields, text: this.rowText };
    this.fields = [];
    this.field = '';
    this.rowText = '';
    return { row, unterminated };
  }
}
