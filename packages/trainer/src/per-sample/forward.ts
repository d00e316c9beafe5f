import * as tf from '@tensorflow/tfjs';
import type { ModelPlan, PlanNode } from './model-plan.js';
import type { AnyLayer } from './types.js';
import { TrainerError } from './trainer-error.js';

/** Probes added to each vectorized node's pre-activation, and where each node's input is reported. */
export interface ProbeHooks {
  probes: tf.Tensor[];
  onInput(vectorizedIndex: number, input: tf.Tensor): void;
}

function activate(layer: AnyLayer, z: tf.Tensor): tf.Tensor {
  const act = layer['activation'] as { apply(x: tf.Tensor): tf.Tensor } | null | undefined;
  return act == null ? z : act.apply(z);
}

type Mask = tf.Tensor | tf.Tensor[] | null;

function applyLayer(node: PlanNode, inputs: tf.Tensor | tf.Tensor[], mask: Mask): tf.Tensor {
  if (node.skipActivation) return inputs as tf.Tensor; // an Activation layer folded into the loss
  // training: true so that Dropout and friends behave as in training (without it Dropout is silently off).
  const out = node.layer.apply(inputs, mask === null ? { training: true } : { training: true, mask });
  if (Array.isArray(out) || !(out instanceof tf.Tensor)) {
    throw new TrainerError('unsupported_layer', `layer ${node.layer.name} did not return one tensor`);
  }
  return out;
}

/**
 * Runs the model on `x` node by node in topological order. With hooks, each vectorized node's pre-activation is
 * recomputed from its weights and gets its zero probe added, so dL/dprobe is the per-example backprop.
 */
export function forwardPass(plan: ModelPlan, x: tf.Tensor, hooks: ProbeHooks | null): tf.Tensor {
  const values = new Map<number, tf.Tensor>([[plan.inputId, x]]);
  const masks = new Map<number, tf.Tensor>(); // Keras masks (Embedding maskZero), passed on as model.apply does
  let k = 0;
  for (const node of plan.nodes) {
    const inputs = node.inputIds.map((id) => {
      const v = values.get(id);
      if (v === undefined) throw new TrainerError('unsupported_layer', `layer ${node.layer.name}: input not computed`);
      return v;
    });
    const inMasks = node.inputIds.map((id) => masks.get(id) ?? null);
    const single = inputs.length === 1;
    const mask: Mask = inMasks.every((m) => m === null)
      ? null
      : single
        ? (inMasks[0] ?? null)
        : (inMasks as tf.Tensor[]);
    let out: tf.Tensor;
    if (node.mode === 'vectorized' && node.rule !== null) {
      const a = inputs[0] as tf.Tensor;
      let z = node.rule.preActivation(node.layer, a);
      if (hooks !== null) {
        hooks.onInput(k, a);
        z = z.add(hooks.probes[k] as tf.Tensor);
      }
      k += 1;
      out = node.skipActivation ? z : activate(node.layer, z);
    } else if (node.mode === 'plain' && node.rule !== null) {
      // A frozen layer, by its rule's unfused ops: the tape then computes no gradient for its weights.
      const z = node.rule.preActivation(node.layer, inputs[0] as tf.Tensor);
      out = node.skipActivation ? z : activate(node.layer, z);
    } else {
      out = applyLayer(node, single ? (inputs[0] as tf.Tensor) : inputs, mask);
    }
    values.set(node.outputId, out);
    if (mask !== null || node.layer.getClassName() === 'Embedding') {
      const outMask = node.layer.computeMask(single ? (inputs[0] as tf.Tensor) : inputs, mask ?? undefined);
      if (outMask != null && !Array.isArray(outMask)) masks.set(node.outputId, outMask);
    }
  }
  const y = values.get(plan.outputId);
  if (y === undefined) throw new TrainerError('unsupported_layer', 'model output not reached');
  return y;
}

/** The concrete pre-activation shape of each vectorized node for a batch of shape `xShape`. */
export function probeShapes(plan: ModelPlan, xShape: number[]): number[][] {
  const shapes = new Map<number, number[]>([[plan.inputId, xShape]]);
  const out: number[][] = [];
  for (const node of plan.nodes) {
    const ins = node.inputIds.map((id) => shapes.get(id) as number[]);
    const shape =
      node.skipActivation && node.mode === 'plain'
        ? (ins[0] as number[])
        : (node.layer.computeOutputShape(ins.length === 1 ? (ins[0] as number[]) : ins) as number[]);
    shapes.set(node.outputId, shape);
    if (node.mode === 'vectorized') out.push(shape);
  }
  return out;
}
