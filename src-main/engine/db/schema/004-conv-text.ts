/**
 * Format version 4: the conversation table's two display columns as plain text. Its "capture
 * points" and "path" cells were built from six list columns on every page; decoding those lists in
 * each row group a page touches was half of a filter switch at 10 M conversations (bench:ui),
 * where reading two VARCHAR columns costs half as much. Filters still use the lists.
 * Files analysed before version 4 have NULLs here until the next analysis (meta conv_text = '1'
 * says the columns are filled; readers fall back to the lists).
 */
export const convTextSchema = /* sql */ `
ALTER TABLE conversations ADD COLUMN capture_points_text VARCHAR;  -- capture points of both directions, sorted, space-separated
ALTER TABLE conversations ADD COLUMN paths_text VARCHAR;           -- attachments, VPNs and tunnel IPs of both directions, sorted, space-separated
`;
