import type { LayerRule, LayerRuleRegistry } from './types.js';
import { convRule } from './rules/conv.js';
import { denseRule } from './rules/dense.js';
import { depthwiseConvRule } from './rules/depthwise-conv.js';
import { embeddingRule } from './rules/embedding.js';
import { layerNormRule } from './rules/layer-norm.js';

/**
 * A fresh registry of the built-in per-layer rules (a value: extend a copy, never a shared global).
 * @example
 * const rules = defaultLayerRules();
 * clippedGradSum(model, xs, ys, { loss: 'categoricalCrossentropy', clipNorm: 1, rules });
 */
export function defaultLayerRules(): LayerRuleRegistry {
  return {
    vectorized: new Map<string, LayerRule>([
      ['Dense', denseRule()],
      ['Conv2D', convRule(2)],
      ['Conv1D', convRule(1)],
      ['DepthwiseConv2D', depthwiseConvRule()],
      ['Embedding', embeddingRule()],
      ['LayerNormalization', layerNormRule()],
    ]),
    refused: new Map([
      ['BatchNormalization', 'it mixes examples within a batch; use LayerNormalization (or a group norm) instead'],
    ]),
  };
}

/**
 * A registry with extra or replaced rules, leaving `base` untouched.
 * @example withLayerRules(defaultLayerRules(), { MyLayer: myRule })
 */
export function withLayerRules(base: LayerRuleRegistry, extra: Record<string, LayerRule>): LayerRuleRegistry {
  return { vectorized: new Map([...base.vectorized, ...Object.entries(extra)]), refused: new Map(base.refused) };
}
