// Every rule, in the order their findings are listed: GitHub's own failures first, then the policy's.
import type { AnyRule } from '../engine/types.js';
import { AllowedSourcesRule } from './allowed-sources.js';
import { CallerImpactRule } from './caller-impact.js';
import { ContractRule } from './contract.js';
import { MaxDepthRule } from './max-depth.js';
import { PermissionsRule } from './permissions.js';
import { PinningRule } from './pinning.js';
import { PlatformLimitsRule } from './platform-limits.js';
import { ResolutionRule } from './resolution.js';
import { SecretsInheritRule } from './secrets-inherit.js';
import { VisibilityRule } from './visibility.js';

export const ALL_RULES: readonly AnyRule[] = [
  ResolutionRule,
  PlatformLimitsRule,
  ContractRule,
  VisibilityRule,
  PermissionsRule,
  AllowedSourcesRule,
  PinningRule,
  SecretsInheritRule,
  MaxDepthRule,
  CallerImpactRule,
];
