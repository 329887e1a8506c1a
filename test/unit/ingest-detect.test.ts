import { describe, expect, it } from 'vitest';
import { explainUnknown, pickHandler } from '../../src-main/engine/ingest/detect.ts';
import { kindOfLayout, normaliseName, parseFieldList, parseUserFormat } from '../../src-main/engine/ingest/fields.ts';
import { detectFlowJson } from '../../src-main/engine/ingest/formats/flow-json.ts';
import { detectFlowText, streamFromPath } from '../../src-main/engine/ingest/formats/flow-text.ts';
import type { Sample } from '../../src-main/engine/ingest/types.ts';

const sample = (head: string, displayPath = 'x'): Sample => ({ displayPath, head, firstLine: head.split('\n').map((l) => l.trim()).find(Boolean) ?? '' });

describe('field lists', () => {
  it('reads ${…} format strings, plain and underscore names', () => {
    expect(parseUserFormat('${version} ${vpc-id} ${start} ${end}')).toEqual(['version', 'vpc-id', 'start', 'end']);
    expect(parseFieldList('version account_id log_status')).toEqual(['version', 'account-id', 'log-status']);
    expect(normaliseName('${tgw-attachment-id}')).toBe('tgw-attachment-id');
  });
  it('keeps unknown names but refuses text that is not a field list', () => {
    expect(parseFieldList('version srcaddr next-hop-vpc-id')).toEqual(['version', 'srcaddr', 'next-hop-vpc-id']);
    expect(parseFieldList('2 123456789012 eni-1 10.0.0.1')).toBeNull();
    expect(parseFieldList('hello world foo')).toBeNull();
    expect(() => parseUserFormat('${version} ${version}')).toThrow(/twice/);
  });
  it('TGW layouts are recognised by tgw-* fields', () => {
    expect(kindOfLayout(['version', 'tgw-attachment-id', 'srcaddr'])).toBe('tgw_flows');
    expect(kindOfLayout(['version', 'interface-id'])).toBe('vpc_flows');
  });
});

describe('detection from content', () => {
  it('S3 header, CloudWatch export prefix, headerless records', () => {
    expect(detectFlowText(sample('version account-id interface-id srcaddr dstaddr\n2 1 eni-1 1.1.1.1 2.2.2.2\n'))).toMatchObject({ format: 's3-text', kind: 'vpc_flows' });
    expect(detectFlowText(sample('version resource-type tgw-id tgw-attachment-id\n'))).toMatchObject({ format: 's3-text', kind: 'tgw_flows' });
    expect(detectFlowText(sample('2024-12-14T16:25:12.000Z 2 602484972838 eni-0a 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n'))).toMatchObject({ format: 'cwl-export' });
    expect(detectFlowText(sample('2 602484972838 eni-0a 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n'))).toMatchObject({ format: 'text' });
    expect(detectFlowText(sample('w,,,,w,,w,,,,,,,,w\r\n2024-12-14,2,6.02485E+11,eni-1,1.1.1.1\r\n'))).toBeNull();
  });
  it('CloudWatch JSON containers with flow messages, not other JSON', () => {
    expect(detectFlowJson(sample('{"events":[{"logStreamName":"eni-1","timestamp":1,"message":"2 123 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK"}]}'))).toMatchObject({ format: 'cwl-events' });
    expect(detectFlowJson(sample('{"message":"2 123 eni-1 - - - - - - - 1 2 - NODATA"}\n'))).toMatchObject({ format: 'json-message', hints: { mode: 'lines' } });
    expect(detectFlowJson(sample('{"events":[{"timestamp":1,"message":"{\\"event_timestamp\\":1}"}]}'))).toBeNull();
  });
  it('picks the most confident handler and explains unknown files', () => {
    expect(pickHandler(sample('version account-id interface-id\n'))?.handler.name).toBe('flow-text');
    expect(explainUnknown(sample('w,,,,w,,w,,,,,,,,w\n2024-12-14T16:25:12.000Z,2,6.02485E+11,eni-1,a,b,c,d,e\n2024-12-14T16:25:12.000Z,2,6.02485E+11,eni-1,a,b,c,d,e\n'), 100)).toMatch(/comma-separated spreadsheet export, not a flow log/);
    expect(explainUnknown(sample(''), 0)).toBe('the file is empty');
  });
  it('names the log stream of CloudWatch export-task objects', () => {
    expect(streamFromPath('/x/exportedlogs/task-1/eni-0abc-all/000000.gz')).toBe('eni-0abc-all');
    expect(streamFromPath('/x/eni-0abc-all.000000')).toBe('eni-0abc-all');
    expect(streamFromPath('/x/flows.log')).toBeNull();
  });
});
