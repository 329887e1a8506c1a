/**
 * Every format handler, in one list. Detection asks each one and keeps the highest confidence,
 * so the order only matters for ties (earlier wins). Add a handler with one import and one entry.
 */
import type { FormatHandler } from '../types.ts';

export const handlers: FormatHandler[] = [
];
