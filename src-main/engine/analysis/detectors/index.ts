import { detectAsymmetricReturn } from './asymmetric-return.ts';
import { detectEcmpActive } from './ecmp-active.ts';
import { detectHalfOpen } from './half-open.ts';
import { detectLogGaps } from './log-gap.ts';
import { detectRejectBursts } from './reject-burst.ts';
import { detectRouteChanges } from './route-change.ts';
import { detectSynNoSynAck } from './syn-no-synack.ts';
import { detectTgwDrops } from './tgw-drop.ts';
import { detectTunnelDown } from './tunnel-down.ts';
import type { Detector } from './types.ts';

/** Every detector, one file per finding kind. */
export const detectors: Record<string, Detector> = {
  'tunnel-down': detectTunnelDown,
  'route-change': detectRouteChanges,
  'ecmp-active': detectEcmpActive,
  'asymmetric-return': detectAsymmetricReturn,
  'half-open': detectHalfOpen,
  'syn-no-synack': detectSynNoSynAck,
  'reject-burst': detectRejectBursts,
  'tgw-drop': detectTgwDrops,
  'log-gap': detectLogGaps,
};
