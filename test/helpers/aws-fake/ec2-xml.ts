/**
 * EC2 query-protocol responses: XML written from the SDK's own output schema (member xmlName
 * traits, lists as <item>), so the element names are exactly the ones the SDK deserializer reads.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { NormalizedSchema } from '@smithy/core/schema';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function value(ns: NormalizedSchema, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (ns.isStructSchema()) {
    let out = '';
    for (const [name, member] of ns.structIterator()) {
      const mv = (v as Record<string, unknown>)[name];
      if (mv === undefined || mv === null) continue;
      const tag = (member.getMergedTraits().xmlName as string | undefined) ?? name;
      out += `<${tag}>${value(member, mv)}</${tag}>`;
    }
    return out;
  }
  if (ns.isListSchema()) {
    const item = ns.getValueSchema();
    const tag = (item.getMergedTraits().xmlName as string | undefined) ?? 'item';
    return (v as unknown[]).map((x) => `<${tag}>${value(item, x)}</${tag}>`).join('');
  }
  if (ns.isTimestampSchema()) return esc(new Date(v as string | number | Date).toISOString());
  return esc(String(v));
}

/** `<ActionResponse>` body for an output object shaped like the AWS CLI prints it. */
export function ec2Response(action: string, output: Record<string, unknown>): string {
  const schema = (ec2 as unknown as Record<string, unknown>)[`${action}Result$`];
  if (!schema) throw new Error(`aws-fake: no output schema for ${action}`);
  const ns = NormalizedSchema.of(schema as Parameters<typeof NormalizedSchema.of>[0]);
  return `<?xml version="1.0" encoding="UTF-8"?>
<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake-${action}</requestId>${value(ns, output)}</${action}Response>`;
}

export function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>fake-error</RequestID></Response>`;
}

/** Form body → { 'VpnConnectionId.1': 'vpn-…', 'Filter.1.Name': … }. */
export function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body).entries());
}

/** Values of a numbered list parameter: `Name.1`, `Name.2`, … */
export function listParam(p: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; p[`${name}.${i}`] !== undefined; i++) out.push(p[`${name}.${i}`]!);
  return out;
}

/** Filters as { name: values } from `Filter.N.Name` / `Filter.N.Value.M` (or `Filters.N…`). */
export function filters(p: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const base of ['Filter', 'Filters']) {
    for (let i = 1; p[`${base}.${i}.Name`] !== undefined; i++) out[p[`${base}.${i}.Name`]!] = listParam(p, `${base}.${i}.Value`);
  }
  return out;
}
