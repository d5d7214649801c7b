/** Top-level keys whose array holds the chat records (TwitchDownloader/v5 `comments`, derived `messages`). */
const RECORD_KEYS = new Set(['comments', 'messages']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const enum Key {
  Expect,
  InKey,
  AfterKey,
  ExpectValue,
  InValue,
}

const enum Element {
  None,
  Container,
  String,
  Literal,
}

export interface ScanSummary {
  /** 'object' | 'array' for the top-level JSON value, 'other' for a scalar, null if nothing but whitespace. */
  top: 'object' | 'array' | 'other' | null;
  /** Everything outside the records array (which appears as `[]`), for metadata such as `video.id`. */
  header: string;
  /** The key of the records array, '' for a top-level array, null when none was found. */
  recordsKey: string | null;
  records: number;
  /** The input ended inside a value. */
  truncated: boolean;
}

/**
 * A streaming scanner for one JSON document whose bulk is a single array of records: it hands out
 * each record's source text as soon as it is complete and keeps only the small rest (the "header").
 * It checks structure only (brackets and strings); each record is parsed later, on its own, so one
 * bad record cannot spoil the file.
 *
 * @example
 * const scanner = new JsonRecordScanner();
 * for await (const chunk of readChatBytes(path)) for (const text of scanner.push(chunk)) handle(text);
 * const { header, recordsKey } = scanner.end();
 */
export class JsonRecordScanner {
  private depth = 0;
  private inString = false;
  private escapeCarry = false;
  private top: ScanSummary['top'] = null;
  private key = Key.Expect;
  private keyPieces: Buffer[] = [];
  private currentKey = '';
  private recordsKey: string | null = null;
  /** Depth inside the records array; 0 when not in it. */
  private arrayDepth = 0;
  private recordsDone = false;
  private element = Element.None;
  private elementPieces: Buffer[] = [];
  private headerPieces: Buffer[] = [];
  private headerBytes = 0;
  private records = 0;
  private trailingGarbage = false;

  constructor(private readonly maxHeaderBytes = 256 * 1024 * 1024) {}

  /** Feeds the next chunk; returns the text of every record that ended in it. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    const n = chunk.length;
    let headerStart = this.arrayDepth > 0 ? -1 : 0;
    let elementStart = this.element !== Element.None ? 0 : -1;
    let keyStart = this.key === Key.InKey ? 0 : -1;
    let pos = 0;
    while (pos < n) {
      if (this.inString) {
        if (this.escapeCarry) {
          this.escapeCarry = false;
          pos++;
          if (pos >= n) break;
        }
        const q = chunk.indexOf(QUOTE, pos);
        if (q < 0) {
          let run = 0;
          for (let k = n - 1; k >= pos && chunk[k] === BACKSLASH; k--) run++;
          this.escapeCarry = run % 2 === 1;
          pos = n;
          break;
        }
        let run = 0;
        for (let k = q - 1; k >= pos && chunk[k] === BACKSLASH; k--) run++;
        pos = q + 1;
        if (run % 2 === 1) continue;
        this.inString = false;
        if (this.key === Key.InKey && this.depth === 1) {
          this.keyPieces.push(chunk.subarray(keyStart < 0 ? 0 : keyStart, q));
          this.currentKey = Buffer.concat(this.keyPieces).toString('utf8');
          this.keyPieces = [];
          keyStart = -1;
          this.key = Key.AfterKey;
        }
        if (this.element === Element.String && this.depth === this.arrayDepth) {
          out.push(this.takeElement(chunk, elementStart, pos));
          elementStart = -1;
        }
        continue;
      }
      const b = chunk[pos]!;
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
        if (this.element === Element.Literal && this.depth === this.arrayDepth) {
          out.push(this.takeElement(chunk, elementStart, pos));
          elementStart = -1;
        }
        pos++;
        continue;
      }
      if (this.top === null) {
        this.top = b === OPEN_OBJECT ? 'object' : b === OPEN_ARRAY ? 'array' : 'other';
        if (this.top === 'array') {
          // A bare array is the record list itself.
          this.recordsKey = '';
          this.depth = 1;
          this.arrayDepth = 1;
          this.appendHeader(chunk, headerStart, pos + 1);
          headerStart = -1;
          pos++;
          continue;
        }
      } else if (this.depth === 0) {
        this.trailingGarbage = true;
      }
      // Inside the records array, at element level: element boundaries.
      if (this.arrayDepth > 0 && this.depth === this.arrayDepth) {
        if (this.element === Element.Literal && (b === COMMA || b === CLOSE_ARRAY)) {
          out.push(this.takeElement(chunk, elementStart, pos));
          elementStart = -1;
        }
        if (b === COMMA) {
          pos++;
          continue;
        }
        if (b === CLOSE_ARRAY) {
          this.depth--;
          this.arrayDepth = 0;
          this.recordsDone = true;
          headerStart = pos;
          pos++;
          if (this.depth === 1) this.key = Key.InValue;
          continue;
        }
        if (this.element === Element.None) {
          elementStart = pos;
          this.element = b === OPEN_OBJECT || b === OPEN_ARRAY ? Element.Container : b === QUOTE ? Element.String : Element.Literal;
        }
      }
      switch (b) {
        case QUOTE:
          this.inString = true;
          if (this.top === 'object' && this.depth === 1 && this.key === Key.Expect) {
            this.key = Key.InKey;
            keyStart = pos + 1;
          } else if (this.depth === 1 && this.key === Key.ExpectValue) {
            this.key = Key.InValue;
          }
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (
            b === OPEN_ARRAY && this.depth === 1 && this.top === 'object' && this.key === Key.ExpectValue &&
            !this.recordsDone && this.arrayDepth === 0 && RECORD_KEYS.has(this.currentKey)
          ) {
            this.recordsKey = this.currentKey;
            this.arrayDepth = 2;
            this.appendHeader(chunk, headerStart, pos + 1);
            headerStart = -1;
          }
          if (this.depth === 1 && this.key === Key.ExpectValue) this.key = Key.InValue;
          this.depth++;
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.depth--;
          if (this.element === Element.Container && this.depth === this.arrayDepth) {
            out.push(this.takeElement(chunk, elementStart, pos + 1));
            elementStart = -1;
          }
          break;
        case COLON:
          if (this.depth === 1 && this.key === Key.AfterKey) this.key = Key.ExpectValue;
          break;
        case COMMA:
          if (this.depth === 1) this.key = Key.Expect;
          break;
        default:
          if (this.depth === 1 && this.key === Key.ExpectValue) this.key = Key.InValue;
      }
      pos++;
    }
    if (this.element !== Element.None) this.elementPieces.push(Buffer.from(chunk.subarray(elementStart < 0 ? 0 : elementStart)));
    if (this.key === Key.InKey && keyStart >= 0) this.keyPieces.push(chunk.subarray(keyStart));
    if (headerStart >= 0) this.appendHeader(chunk, headerStart, n);
    return out;
  }

  /** Finishes the scan; a record still open at the end is returned in `pendingRecord`. */
  end(): ScanSummary & { pendingRecord: string | null; trailingGarbage: boolean } {
    let pendingRecord: string | null = null;
    if (this.element === Element.Literal && this.depth === this.arrayDepth) {
      pendingRecord = this.flushElement();
    } else if (this.element !== Element.None) {
      pendingRecord = this.flushElement();
    }
    const truncated = this.inString || this.depth > 0 || this.arrayDepth > 0;
    return {
      top: this.top,
      header: Buffer.concat(this.headerPieces).toString('utf8'),
      recordsKey: this.recordsKey,
      records: this.records,
      truncated,
      pendingRecord,
      trailingGarbage: this.trailingGarbage,
    };
  }

  private takeElement(chunk: Buffer, start: number, end: number): string {
    this.elementPieces.push(chunk.subarray(start < 0 ? 0 : start, end));
    return this.flushElement();
  }

  private flushElement(): string {
    const pieces = this.elementPieces;
    const text = pieces.length === 1 ? pieces[0]!.toString('utf8') : Buffer.concat(pieces).toString('utf8');
    this.elementPieces = [];
    this.element = Element.None;
    this.records++;
    return text;
  }

  private appendHeader(chunk: Buffer, start: number, end: number): void {
    if (start < 0 || end <= start) return;
    this.headerBytes += end - start;
    if (this.headerBytes > this.maxHeaderBytes) return;
    // Copy: the chunk's memory is reused by the reader.
    this.headerPieces.push(Buffer.from(chunk.subarray(start, end)));
  }
}
