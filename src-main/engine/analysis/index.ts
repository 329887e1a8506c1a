/** The analysis engine's public surface. */
export { runAnalysis, PAIRING_GAP_S, HANDSHAKE_PACKET_BYTES, type AnalysisOptions, type AnalysisResult } from './run.ts';
export { queryTimeline, snapshotAt, pickBucket } from './timeline.ts';
export { listFindings, findingId } from './findings.ts';
export { queryConversations, getConversation, getRecords, warmConversations } from './conversations.ts';
export { explainRoutes } from './routes.ts';
