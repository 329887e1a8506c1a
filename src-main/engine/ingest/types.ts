/**
 * The seam between the ingest service (file walking, hashing, decompression, sources rows,
 * transactions, progress, cancellation) and the per-kind format handlers in formats/.
 * A handler decides from content whether it reads a file, and loads it with DuckDB's readers.
 */
import type { Conn } from '../db/index.ts';
import type { IngestOptions, SourceKind } from '../../shared/domain.ts';

/** What detection sees of a file: already decompressed. */
export interface Sample {
  /** The original name (path or s3:// URI) for messages. */
  displayPath: string;
  /** First bytes of the decompressed content (up to 64 KiB), decoded as UTF-8 with replacement. */
  head: string;
  /** First non-empty line of head, trimmed. */
  firstLine: string;
}

export interface Detection {
  kind: SourceKind;
  /** Container/layout name stored in sources.format, e.g. 's3-text', 'cwl-export', 'get-metric-data'. */
  format: string;
  /** Higher wins when several handlers claim a file. */
  confidence: number;
  /** Handler-specific details found while sniffing (e.g. the header's field list). */
  hints?: Record<string, unknown>;
}

export interface LoadContext {
  conn: Conn;
  sourceId: number;
  /**
   * A local file DuckDB's readers open with compression='auto': its name ends in .gz exactly
   * when the content is gzip (the service links it under such a name when the original name
   * says otherwise), and a truncated .gz has already been cut back to its last complete line.
   */
  localPath: string;
  displayPath: string;
  detection: Detection;
  /** What detection saw (decompressed head), e.g. to pick the line ending. */
  sample: Sample;
  options: IngestOptions;
  signal: AbortSignal;
  /** Report progress within this file (bytes of decompressed content processed). */
  progress(bytesDone: number, records: number): void;
  /** What stage() returned, for handlers that have a stage step. */
  staged?: unknown;
}

export interface LoadResult {
  /** Set when loading settled a different kind than detection (e.g. --format names TGW fields). */
  kind?: SourceKind;
  /** Set when loading settled a more precise format name than detection. */
  format?: string;
  linesRead: number;
  records: number;
  headerLines: number;
  blankLines: number;
  overlapRecords: number;
  quarantined: number;
  timeMin: string | null;
  timeMax: string | null;
  /** Field list used, for flow logs. */
  fields?: string | null;
  status?: 'complete' | 'partial';
  message?: string | null;
}

export interface FormatHandler {
  name: string;
  detect(sample: Sample): Detection | null;
  /**
   * Optional heavy reading before the file's transaction: parse into TEMP tables on ctx.conn
   * (sourceId is still 0 and nothing in the case may change). The service reads the next file
   * this way while the previous one is being written. load() then gets the result in ctx.staged.
   */
  stage?(ctx: LoadContext): Promise<unknown>;
  load(ctx: LoadContext): Promise<LoadResult>;
}

/** One input for the ingest service: a local file, optionally standing for a remote object. */
export interface IngestInput {
  localPath: string;
  /** What the user knows it as (s3://bucket/key for S3 imports); defaults to localPath. */
  displayPath?: string;
  etag?: string;
}
