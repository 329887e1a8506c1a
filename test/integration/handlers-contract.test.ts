/**
 * dispatch() over the whole contract: every channel rejects bad arguments as a value naming the
 * field (never reaching the engine), unknown channels and unexpected failures become error values.
 */
import { describe, expect, it } from 'vitest';
import { contract, channels, eventNames } from '../../src-main/shared/contract.ts';
import { channelNames, eventNameList } from '../../src-main/shared/channels.ts';
import { contextFor, dispatch, handlers } from '../../src-main/ipc/index.ts';
import { Workspace } from '../../src-main/engine/workspace.ts';
import type { Db } from '../../src-main/engine/db/index.ts';

const quiet = () => undefined;
const ctx = contextFor(new Workspace({ log: quiet }));

/** One wrong argument per channel, aimed at a named field where the channel has one. */
const wrongField: Partial<Record<(typeof channels)[number], [unknown, string]>> = {
  'app.pickPath': [{ kind: 'open-anything' }, 'kind'],
  'case.open': [{ path: 42 }, 'path'],
  'case.new': [{ path: '' }, 'path'],
  'case.save': [{ path: ['x'] }, 'path'],
  'ingest.start': [{ paths: [] }, 'paths'],
  'ingest.s3': [{ uri: 'https://bucket/x', since: '2024-01-01T00:00:00Z', until: '2024-01-02T00:00:00Z' }, 'uri'],
  'ingest.cancel': [{ jobId: 7 }, 'jobId'],
  'quarantine.list': [{ limit: 0 }, 'limit'],
  'timeline.query': [{ maxBuckets: 3 }, 'maxBuckets'],
  'timeline.snapshot': [{ at: 'yesterday' }, 'at'],
  'findings.review': [{ findingId: 'f', status: 'maybe' }, 'status'],
  'conversations.query': [{ filter: { port: 70000 } }, 'filter.port'],
  'conversations.get': [{ id: 1 }, 'id'],
  'records.get': [{ refs: [] }, 'refs'],
  'routes.explain': [{ prefix: 10 }, 'prefix'],
  'sql.run': [{ sql: '' }, 'sql'],
  'sql.saveQuery': [{ name: '', sql: 'SELECT 1' }, 'name'],
  'sql.removeQuery': [{ id: 5 }, 'id'],
  'notes.add': [{ at: 'not a time', target: { type: 'range', from: '2024-01-01T00:00:00Z', to: '2024-01-01T01:00:00Z' }, text: 'x' }, 'at'],
  'notes.remove': [{}, 'id'],
  'view.save': [{ from: null, to: null, filter: {}, replayAt: null, replaySpeed: 0, selectedFindingId: null, timeZone: 'utc' }, 'replaySpeed'],
  'case.redact': [{ out: '' }, 'out'],
  'report.export': [{ out: '/tmp/r.html', format: 'pdf' }, 'format'],
};

describe('the contract and its handler table', () => {
  it('has a handler for every channel and the zod-free name lists match the contract', () => {
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(contract).sort());
    expect([...channelNames].sort()).toEqual(Object.keys(contract).sort());
    expect([...eventNameList]).toEqual([...eventNames]);
  });

  describe.each([...channels])('%s', (channel) => {
    it('answers an unknown field with bad-argument, naming it', async () => {
      const r = await dispatch(channel, { surprise: 1 }, ctx, quiet);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe('bad-argument');
      expect(r.error.message).toContain(channel);
      expect(r.error.message.split('\n')).toHaveLength(1);
    });

    it('answers a non-object argument with bad-argument', async () => {
      for (const bad of [42, 'x', [1, 2], true]) {
        const r = await dispatch(channel, bad, ctx, quiet);
        expect(r).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
      }
    });

    const wrong = wrongField[channel];
    // Channels without fields are covered by the two cases above.
    if (wrong) it(`names the wrong field (${wrong[1]})`, async () => {
      const r = await dispatch(channel, wrong![0], ctx, quiet);
      expect(r).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
      if (!r.ok) expect(r.error.message).toContain(`'${wrong![1]}'`);
    });
  });

  it('has a wrong-field case for every channel that takes fields', () => {
    const withFields = channels.filter((c) => {
      const shape = (contract[c].args as unknown as { shape?: Record<string, unknown> }).shape;
      return shape && Object.keys(shape).length > 0;
    });
    expect(withFields.filter((c) => !wrongField[c])).toEqual([]);
  });

  it('answers an unknown channel with an error value', async () => {
    for (const name of ['nope', 'case.delete', '__proto__', 'constructor', 'toString']) {
      const r = await dispatch(name, {}, ctx, quiet);
      expect(r).toMatchObject({ ok: false, error: { code: 'not-found' } });
    }
  });

  it('turns an unexpected throw into a one-line internal error and logs the stack', async () => {
    class Broken extends Workspace {
      override requireDb(): Db {
        throw new TypeError('boom: the disk fell off\n    at somewhere (file.ts:1:1)');
      }
    }
    const logged: string[] = [];
    const r = await dispatch('quarantine.list', {}, contextFor(new Broken({ log: quiet })), (m) => logged.push(m));
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'boom: the disk fell off' } });
    expect(logged.join('\n')).toContain('at somewhere');
  });

  it('passes an AppError through as its value', async () => {
    const r = await dispatch('quarantine.list', {}, ctx, quiet);
    expect(r).toMatchObject({ ok: false, error: { code: 'no-case' } });
    if (!r.ok) expect(r.error.message).toMatch(/No investigation is open/);
  });

  it('applies schema defaults before the handler runs', async () => {
    const ws = new Workspace({ log: quiet });
    const original = handlers['quarantine.list'];
    let seen: unknown;
    (handlers as Record<string, unknown>)['quarantine.list'] = async (args: unknown) => {
      seen = args;
      return { total: 0, rows: [] };
    };
    try {
      await dispatch('quarantine.list', undefined, contextFor(ws), quiet);
    } finally {
      (handlers as Record<string, unknown>)['quarantine.list'] = original;
    }
    expect(seen).toEqual({ offset: 0, limit: 200 });
  });
});
