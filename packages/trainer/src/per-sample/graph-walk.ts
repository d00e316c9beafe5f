import type * as tf from '@tensorflow/tfjs';
import type { AnyLayer } from './types.js';
import { TrainerError } from './trainer-error.js';

/** One layer call of a model graph, with the ids of the symbolic tensors it reads and writes. */
export interface FlatNode {
  layer: AnyLayer;
  inputIds: number[];
  outputId: number;
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

function isModel(layer: AnyLayer): boolean {
  return layer.getClassName() === 'Sequential' || 'nodesByDepth' in layer;
}

/** A model's own nodes from inputs to outputs (deepest first in tfjs-layers' depth numbering), InputLayers left out. */
function ownNodes(model: GraphModel): GraphNode[] {
  if (model.getClassName() === 'Sequential' && model.model == null) model.build(model.inputs[0]?.shape);
  const byDepth = model.nodesByDepth ?? {};
  return Object.keys(byDepth)
    .map(Number)
    .sort((a, b) => b - a)
    .flatMap((d) => byDepth[String(d)] ?? [])
    .filter((n) => n.outboundLayer.getClassName() !== 'InputLayer');
}

/**
 * The model's layer calls in topological order, with nested single-input, single-output models called once
 * expanded in place (so their layers get vectorized rules too); `resolve` maps an outer tensor id to the id
 * that carries its value.
 * @example const { nodes, resolve } = flatGraph(model);
 */
export function flatGraph(model: tf.LayersModel): { nodes: FlatNode[]; resolve: (id: number) => number } {
  const alias = new Map<number, number>();
  const resolve = (id: number): number => alias.get(id) ?? id;
  const nodes: FlatNode[] = [];
  const walk = (m: GraphModel): void => {
    const own = ownNodes(m);
    const calls = new Map<AnyLayer, number>();
    for (const n of own) calls.set(n.outboundLayer, (calls.get(n.outboundLayer) ?? 0) + 1);
    for (const n of own) {
      const layer = n.outboundLayer;
      const inputIds = n.inputTensors.map((t) => resolve(t.id));
      const out = n.outputTensors[0];
      if (n.outputTensors.length !== 1 || out === undefined) {
        throw new TrainerError('unsupported_layer', `layer ${layer.name} has several outputs`);
      }
      const inner = layer as unknown as GraphModel;
      if (isModel(layer) && calls.get(layer) === 1 && inner.inputs.length === 1 && inner.outputs.length === 1) {
        alias.set((inner.inputs[0] as tf.SymbolicTensor).id, inputIds[0] as number);
        walk(inner);
        alias.set(out.id, resolve((inner.outputs[0] as tf.SymbolicTensor).id));
        continue;
      }
      nodes.push({ layer, inputIds, outputId: out.id });
    }
  };
  walk(model as unknown as GraphModel);
  return { nodes, resolve };
}

/** The layers a layer holds inside it: a model's layers, a wrapper's layer(s), an RNN's cell(s). */
function innerLayers(layer: AnyLayer): AnyLayer[] {
  const out: AnyLayer[] = [];
  const add = (v: unknown): void => {
    if (v !== null && typeof v === 'object' && typeof (v as { getClassName?: unknown }).getClassName === 'function')
      out.push(v as AnyLayer);
  };
  for (const key of ['layers', 'cells']) {
    const list = layer[key];
    if (Array.isArray(list)) list.forEach(add);
  }
  for (const key of ['layer', 'forwardLayer', 'backwardLayer', 'cell']) add(layer[key]);
  return out;
}

/**
 * Refuses any layer that lets one example change another's output, wherever it sits: at the top level, inside a
 * wrapper (TimeDistributed, Bidirectional), an RNN cell, or a nested model (called once or several times). Classes
 * in `refused` (BatchNormalization: batch statistics in training mode) and stateful layers (state carried from one
 * batch's examples into the next batch) are refused. A single top-level check is not enough: the full-batch
 * forward pass runs every inner layer with `training: true` too.
 * @example refuseMixingLayers(model, defaultLayerRules().refused) // throws TrainerError('batch_normalization')
 */
export function refuseMixingLayers(model: tf.LayersModel, refused: ReadonlyMap<string, string>): void {
  const seen = new Set<AnyLayer>();
  const visit = (layer: AnyLayer, path: string): void => {
    if (seen.has(layer)) return;
    seen.add(layer);
    const cls = layer.getClassName();
    const why = refused.get(cls);
    if (why !== undefined) {
      throw new TrainerError(
        cls === 'BatchNormalization' ? 'batch_normalization' : 'unsupported_layer',
        `layer ${path} (${cls}) is refused under DP: ${why}`,
      );
    }
    if (layer['stateful'] === true && !Array.isArray(layer['layers'])) {
      // a model is 'stateful' when a layer in it is: name that layer
      throw new TrainerError(
        'unsupported_layer',
        `layer ${path} (${cls}) is stateful: it carries state from one batch's examples into the next, so examples mix`,
      );
    }
    for (const inner of innerLayers(layer)) visit(inner, `${path}/${inner.name}`);
  };
  visit(model as unknown as AnyLayer, model.name);
}
