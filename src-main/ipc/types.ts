import type { Channel, EventName, Events, ParsedArgsOf, ResultOf } from '../shared/contract.ts';
import type { Workspace } from '../engine/workspace.ts';

export interface HandlerContext {
  ws: Workspace;
  /** Push an event to every window / browser client. */
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  /** Native file dialogs, present only in the desktop app. */
  pickPath?(kind: PickKind, defaultName?: string): Promise<string[]>;
}

export type PickKind = ParsedArgsOf<'app.pickPath'>['kind'];

export type Handler<C extends Channel> = (args: ParsedArgsOf<C>, ctx: HandlerContext) => Promise<ResultOf<C>>;

/** Handlers for a subset of channels, written by the module that owns that domain. */
export type Handlers<K extends Channel> = { [C in K]: Handler<C> };

/** The full table: every channel of the contract must have a handler, or this does not compile. */
export type HandlerTable = Handlers<Channel>;
