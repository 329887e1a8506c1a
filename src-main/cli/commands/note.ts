import { parseArgs } from 'node:util';
import { CaseSession } from '../../engine/case/session.ts';
import type { Annotation, AnnotationTarget } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope note add <file.tscope> --at TIME --text TEXT [--tag T]... [--bookmark]
                            [--range-end TIME | --tunnel VPN/IP | --finding ID | --conversation ID | --record TABLE:SOURCE:LINE]
       tunnelscope note list <file.tscope> [--json]
       tunnelscope note remove <file.tscope> <ID>

Notes and bookmarks live in the case file. A note is about a time range (--at to --range-end; a
moment when --range-end is left out), a tunnel (--tunnel vpn-0abc…/203.0.113.10), a finding, a
conversation or a single record (--record vpc_flows:3:1042). TIME is ISO 8601; without a zone it
is UTC (2026-11-20T13:05:00Z, '2026-11-20 13:05'). --bookmark makes it a bookmark the timeline can
jump to. The file is saved atomically; it is refused while Tunnelscope has it open.`;

/** ISO 8601 time; a time without a zone is taken as UTC (incident timelines are UTC). */
export function parseTime(s: string, flag: string): string {
  const t = s.trim().replace(' ', 'T');
  const withZone = /(Z|[+-]\d\d:?\d\d)$/i.test(t) || !/T/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(/T/.test(withZone) ? withZone : `${withZone}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new AppError('bad-argument', `${flag} '${s}' is not a time; use ISO 8601, e.g. 2026-11-20T13:05:00Z.`);
  return new Date(ms).toISOString();
}

function target(v: Record<string, unknown>, at: string): AnnotationTarget {
  const given = ['range-end', 'tunnel', 'finding', 'conversation', 'record'].filter((k) => v[k] !== undefined);
  if (given.length > 1) throw new AppError('bad-argument', `A note is about one thing; got --${given.join(' and --')}.`);
  if (v.tunnel !== undefined) {
    const m = /^([^/\s]+)\/(\S+)$/.exec(String(v.tunnel));
    if (!m) throw new AppError('bad-argument', `--tunnel wants VPN/IP, e.g. vpn-0c2d4e6f8a0b1c3d5/34.206.11.22; got '${String(v.tunnel)}'.`);
    return { type: 'tunnel', vpnId: m[1]!, tunnelIp: m[2]! };
  }
  if (v.finding !== undefined) return { type: 'finding', findingId: String(v.finding) };
  if (v.conversation !== undefined) return { type: 'conversation', conversationId: String(v.conversation) };
  if (v.record !== undefined) {
    const m = /^(vpc_flows|tgw_flows|vpn_events|bgp_events|metric_points):(\d+):(\d+)$/.exec(String(v.record));
    if (!m) throw new AppError('bad-argument', `--record wants TABLE:SOURCE:LINE, e.g. vpc_flows:3:1042; got '${String(v.record)}'.`);
    return { type: 'record', table: m[1] as 'vpc_flows', sourceId: Number(m[2]), line: Number(m[3]) };
  }
  const to = v['range-end'] !== undefined ? parseTime(String(v['range-end']), '--range-end') : at;
  if (Date.parse(to) < Date.parse(at)) throw new AppError('bad-argument', '--range-end is before --at.');
  return { type: 'range', from: at, to };
}

function about(n: Annotation): string {
  const t = n.target;
  switch (t.type) {
    case 'range':
      return t.from === t.to ? 'moment' : `until ${t.to}`;
    case 'tunnel':
      return `tunnel ${t.vpnId}/${t.tunnelIp}`;
    case 'finding':
      return `finding ${t.findingId}`;
    case 'conversation':
      return `conversation ${t.conversationId}`;
    case 'record':
      return `record ${t.table}:${t.sourceId}:${t.line}`;
  }
}

export const command: Command = {
  summary: 'add, list or remove notes and bookmarks in a case file',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        at: { type: 'string' },
        text: { type: 'string' },
        tag: { type: 'string', multiple: true },
        'range-end': { type: 'string' },
        tunnel: { type: 'string' },
        finding: { type: 'string' },
        conversation: { type: 'string' },
        record: { type: 'string' },
        bookmark: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    const [verb, file, id] = positionals;
    if (!verb || !file || !['add', 'list', 'remove'].includes(verb)) throw new AppError('bad-argument', `Say what to do and with which file: tunnelscope note add|list|remove <file.tscope> (see --help).`);

    if (verb === 'list') {
      const s = await CaseSession.open(file, { readOnly: true, autosaveMs: 0 });
      try {
        const notes = await s.listNotes();
        if (values.json) process.stdout.write(JSON.stringify(notes, null, 2) + '\n');
        else if (notes.length === 0) process.stdout.write('No notes.\n');
        else {
          for (const n of notes) {
            const tags = n.tags.length ? `  [${n.tags.join(', ')}]` : '';
            process.stdout.write(`${n.at}  ${n.kind === 'bookmark' ? 'bookmark' : 'note    '}  ${about(n)}${tags}\n    ${n.text.replace(/\n/g, '\n    ')}\n    id ${n.id}\n`);
          }
        }
      } finally {
        await s.close();
      }
      return EXIT.ok;
    }

    const s = await CaseSession.open(file, { autosaveMs: 0 });
    try {
      if (verb === 'remove') {
        if (!id) throw new AppError('bad-argument', 'Give the id of the note to remove (tunnelscope note list shows it).');
        await s.removeNote(id);
        await s.save();
        process.stdout.write(`Removed note ${id}.\n`);
        return EXIT.ok;
      }
      if (values.at === undefined) throw new AppError('bad-argument', 'A note needs --at TIME (where the timeline jumps to).');
      if (values.text === undefined || !values.text.trim()) throw new AppError('bad-argument', 'A note needs --text.');
      const at = parseTime(values.at, '--at');
      const n = await s.addNote({ kind: values.bookmark ? 'bookmark' : 'note', at, target: target(values, at), text: values.text, tags: values.tag ?? [] });
      await s.save();
      if (values.json) process.stdout.write(JSON.stringify(n, null, 2) + '\n');
      else process.stdout.write(`Added ${n.kind} ${n.id} at ${n.at} (${about(n)}).\n`);
      return EXIT.ok;
    } finally {
      await s.close();
    }
  },
};
