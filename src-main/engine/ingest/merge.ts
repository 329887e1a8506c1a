/** Several ingest summaries (e.g. local files and S3 objects of one command) reported as one. */
import type { IngestSummary } from '../../shared/domain.ts';

export function mergeSummaries(list: IngestSummary[]): IngestSummary | null {
  if (list.length === 0) return null;
  const out: IngestSummary = { jobId: list[0]!.jobId, cancelled: list.some((s) => s.cancelled), files: [], byKind: {}, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null };
  for (const s of list) {
    out.files.push(...s.files);
    out.records += s.records;
    out.quarantined += s.quarantined;
    out.duplicates += s.duplicates;
    if (s.timeMin && (!out.timeMin || s.timeMin < out.timeMin)) out.timeMin = s.timeMin;
    if (s.timeMax && (!out.timeMax || s.timeMax > out.timeMax)) out.timeMax = s.timeMax;
    for (const [k, v] of Object.entries(s.byKind)) {
      const kind = k as keyof IngestSummary['byKind'];
      const acc = (out.byKind[kind] ??= { files: 0, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null });
      acc.files += v.files;
      acc.records += v.records;
      acc.quarantined += v.quarantined;
      acc.duplicates += v.duplicates;
      if (v.timeMin && (!acc.timeMin || v.timeMin < acc.timeMin)) acc.timeMin = v.timeMin;
      if (v.timeMax && (!acc.timeMax || v.timeMax > acc.timeMax)) acc.timeMax = v.timeMax;
    }
  }
  return out;
}
