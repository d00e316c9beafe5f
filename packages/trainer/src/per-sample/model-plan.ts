import type * as tf from '@tensorflow/tfjs';
import type { AnyLayer, LayerRule, LayerRuleRegistry, LossOptions } from './types.js';
import { TrainerError } from './trainer-error.js';
import { fusesWith } from './losses.js';

/** How one node of the model graph is run: through a rule, microbatched, or applied as is (no weights). */
export type NodeMode = 'vectorized' | 'microbatch' | 'plain';

export interface PlanNode {
  layer: AnyLayer;
  mode: NodeMode;
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

interface GraphNode {
  outboundLayer: AnyLayer;
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

interface GraphModel {
  inputs: tf.SymbolicTensor[];
  outputs: tf.SymbolicTensor[];
  nodesByDepth?: Record<string, GraphNode[]>;
  model?: unknown;
  build(shape?: unknown): void;
  getClassName(): string;
}

const warned = new WeakSet<object>();

function activationName(layer: AnyLayer): string | null {
  const act = layer['activation'] as { getClassName?: () => string } | undefined;
  return act?.getClassName?.() ?? null;
}

/** Orders the graph's nodes from inputs to output (deepest first in tfjs-layers' depth numbering). */
function graphNodes(model: tf.LayersModel): GraphNode[] {
  const g = model as unknown as GraphModel;
  if (g.getClassName() === 'Sequential' && g.model == null) g.build(g.inputs[0]?.shape);
  const byDepth = g.nodesByDepth ?? {};
  return Object.keys(byDepth)
    .map(Number)
    .sort((a, b) => b - a)
    .flatMap((d) => byDepth[String(d)] ?? []);
}

/**
 * Plans a forward pass with per-sample rules: refuses layers the registry refuses, sends layers without a rule
 * (or used at several nodes) to microbatching with a one-time warning, and decides where the loss sees logits.
 * @example const plan = planModel(model, defaultLayerRules(), { loss: 'categoricalCrossentropy' });
 */
export function planModel(model: tf.LayersModel, rules: LayerRuleRegistry, loss: LossOptions): ModelPlan {
  const g = model as unknown as GraphModel;
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    throw new TrainerError('bad_input', `model ${model.name} must have one input and one output`);
  }
  const graph = graphNodes(model).filter((n) => n.outboundLayer.getClassName() !== 'InputLayer');
  const uses = new Map<AnyLayer, number>();
  for (const n of graph) uses.set(n.outboundLayer, (uses.get(n.outboundLayer) ?? 0) + 1);
  const outputId = (g.outputs[0] as tf.SymbolicTensor).id;
  const microbatchLayers = new Set<AnyLayer>();
  const nodes: PlanNode[] = graph.map((n) => {
    const layer = n.outboundLayer;
    const cls = layer.getClassName();
    const why = rules.refused.get(cls);
    if (why !== undefined) {
      throw new TrainerError(cls === 'BatchNormalization' ? 'batch_normalization' : 'unsupported_layer',
        `layer ${layer.name} (${cls}) is refused under DP: ${why}`);
    }
    if (n.outputTensors.length !== 1) throw new TrainerError('unsupported_layer', `layer ${layer.name} has several outputs`);
    const rule = rules.vectorized.get(cls) ?? null;
    let mode: NodeMode = 'plain';
    if (layer.trainableWeights.length > 0) {
      mode = rule !== null && (rule.supports?.(layer) ?? true) && uses.get(layer) === 1 ? 'vectorized' : 'microbatch';
    }
    if (mode === 'microbatch') microbatchLayers.add(layer);
    return { layer, mode, rule: mode === 'vectorized' ? rule : null, inputIds: n.inputTensors.map((t) => t.id),
      outputId: (n.outputTensors[0] as tf.SymbolicTensor).id, skipActivation: false };
  });
  for (const layer of microbatchLayers) {
    if (warned.has(layer)) continue;
    warned.add(layer);
    console.warn(`@dpledger/trainer: no vectorized per-sample rule for layer ${layer.name} (${layer.getClassName()}); ` +
      'its gradients are computed one example at a time (slow)');
  }
  const last = nodes.find((n) => n.outputId === outputId);
  const act = last === undefined ? null : activationName(last.layer);
  let fromLogits = loss.fromLogits ?? !(act === 'softmax' || act === 'sigmoid');
  if (last !== undefined && act !== null && loss.fromLogits !== true && fusesWith(loss.loss, act)
    && (last.mode === 'vectorized' || last.layer.getClassName() === 'Activation')) {
    last.skipActivation = true; // the loss takes the logits: stabler, and the same gradient
    fromLogits = true;
  }
  return { inputId: (g.inputs[0] as tf.SymbolicTensor).id, outputId, nodes, fromLogits, microbatchLayers: [...microbatchLayers] };
}
