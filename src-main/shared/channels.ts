/**
 * The channel and event names of the contract as plain strings, with no imports, so the sandboxed
 * preload can bundle them without pulling zod (a sandboxed preload can only require 'electron').
 * contract.ts checks at compile time that this list and the contract's keys are the same set:
 * add a request there and here.
 */
export const channelNames = [
  'app.info',
  'app.pickPath',
  'case.current',
  'case.open',
  'case.openDemo',
  'case.new',
  'case.save',
  'case.close',
  'ingest.start',
  'ingest.cancel',
  'ingest.s3',
  'quarantine.list',
  'analysis.run',
  'timeline.query',
  'timeline.snapshot',
  'findings.list',
  'findings.review',
  'conversations.query',
  'conversations.get',
  'records.get',
  'routes.explain',
  'sql.run',
  'sql.library',
  'sql.cancel',
  'sql.saveQuery',
  'sql.removeQuery',
  'notes.list',
  'notes.add',
  'notes.remove',
  'view.get',
  'view.save',
  'case.redact',
  'report.export',
] as const;

export const eventNameList = ['ingest.progress', 'ingest.done', 'case.changed', 'analysis.done', 'menu.command'] as const;

export type ChannelName = (typeof channelNames)[number];
export type EventNameString = (typeof eventNameList)[number];

/** IPC channels the preload and main use for the bridge itself (not contract channels). */
export const IPC_EVENT = 'tunnelscope:event';
