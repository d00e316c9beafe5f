import type * as tf from '@tensorflow/tfjs';
import type { AnyLayer, LayerRule, LayerRuleRegistry, LossOptions } from './types.js';
import { TrainerError } from './trainer-error.js';
import { fusesWith } from './losses.js';
import { flatGraph, refuseMixingLayers } from './graph-walk.js';

/** How one node of the model graph is run: through a rule, microbatched, or applied as is (no weights). */
export type NodeMode = 'vectorized' | 'microbatch' | 'plain';

export interface PlanNode {
  layer: AnyLayer;
  mode: NodeMode;
  /**
   * The node's rule: vectorized nodes, and frozen layers (weights, none trainable) run by its unfused preActivation.
   */
  rule: LayerRule | null;
  inputIds: number[];
  outputId: number;
  /** The model's output node whose final softmax/sigmoid is folded into the loss (it then yields logits). */
  skipActivation: boolean;
}

/** The model's graph in topological order, each node's treatment, and how the loss reads the output. */
export interface ModelPlan {
  inputId: number;
  outputId: number;
  nodes: PlanNode[];
  /** The loss receives logits. */
  fromLogits: boolean;
  /** Layers whose weights are microbatched (each layer once). */
  microbatchLayers: AnyLayer[];
}

const warned = new WeakSet<object>();

function activationName(layer: AnyLayer): string | null {
  const act = layer['activation'] as { getClassName?: () => string } | undefined;
  return act?.getClassName?.() ?? null;
}

/**
 * Plans a forward pass with per-sample rules: refuses layers the registry refuses, sends layers without a rule
 * (or used at several nodes) to microbatching with a one-time warning, and decides where the loss sees logits.
 * @example const plan = planModel(model, defaultLayerRules(), { loss: 'categoricalCrossentropy' });
 */
export function planModel(model: tf.LayersModel, rules: LayerRuleRegistry, loss: LossOptions): ModelPlan {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new TrainerError('bad_input', `model ${model.name} must have one input and one output`);
  }
  refuseMixingLayers(model, rules.refused); // the whole graph: wrappers, cells and nested models included
  const { nodes: graph, resolve } = flatGraph(model);
  const uses = new Map<AnyLayer, number>();
  for (const n of graph) uses.set(n.layer, (uses.get(n.layer) ?? 0) + 1);
  const outputId = resolve((model.outputs[0] as tf.SymbolicTensor).id);
  const microbatchLayers = new Set<AnyLayer>();
  const nodes: PlanNode[] = graph.map((n) => {
    const layer = n.layer;
    const cls = layer.getClassName();
    const rule = rules.vectorized.get(cls) ?? null;
    let mode: NodeMode = 'plain';
    const supported = rule !== null && (rule.supports?.(layer) ?? true);
    if (layer.trainableWeights.length > 0) mode = supported && uses.get(layer) === 1 ? 'vectorized' : 'microbatch';
    if (mode === 'microbatch') microbatchLayers.add(layer);
    // A frozen layer's fused tfjs-layers ops would compute its weight gradients eagerly; its rule's ops do not.
    const frozen = mode === 'plain' && layer.weights.length > 0 && supported;
    return {
      layer,
      mode,
      rule: mode === 'vectorized' || frozen ? rule : null,
      inputIds: n.inputIds,
      outputId: n.outputId,
      skipActivation: false,
    };
  });
  for (const layer of microbatchLayers) {
    if (warned.has(layer)) continue;
    warned.add(layer);
    console.warn(
      `@dpledger/trainer: no vectorized per-sample rule for layer ${layer.name} (${layer.getClassName()}); ` +
        'its gradients are computed one example at a time (slow)',
    );
  }
  const last = nodes.find((n) => n.outputId === outputId);
  const act = last === undefined ? null : activationName(last.layer);
  let fromLogits = loss.fromLogits ?? !(act === 'softmax' || act === 'sigmoid');
  if (
    last !== undefined &&
    act !== null &&
    loss.fromLogits !== true &&
    fusesWith(loss.loss, act) &&
    (last.mode === 'vectorized' || last.layer.getClassName() === 'Activation')
  ) {
    last.skipActivation = true; // the loss takes the logits: stabler, and the same gradient
    fromLogits = true;
  }
  return {
    inputId: (model.inputs[0] as tf.SymbolicTensor).id,
    outputId,
    nodes,
    fromLogits,
    microbatchLayers: [...microbatchLayers],
  };
}
