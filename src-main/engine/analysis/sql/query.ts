/** Query helpers that pass only the named parameters a statement uses (DuckDB rejects extra ones). */
import type { Conn } from '../../db/index.ts';
import { only } from '../util.ts';

type P = Record<string, string | number | boolean | null>;

export const qa = <T = Record<string, unknown>>(c: Conn, sql: string, p?: P): Promise<T[]> => (p ? c.all<T>(sql, only(sql, p)) : c.all<T>(sql));
export const qo = <T = Record<string, unknown>>(c: Conn, sql: string, p?: P): Promise<T | undefined> => (p ? c.one<T>(sql, only(sql, p)) : c.one<T>(sql));
