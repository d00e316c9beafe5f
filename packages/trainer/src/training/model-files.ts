/**
 * tfjs-layers models on disk without tfjs-node: `model.json` (topology + weights manifest) and `weights.bin`,
 * the layout `tf.io` browser/node handlers use, read and written with node:fs.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fail } from './fail.js';

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}

/**
 * Loads a layers model from a `model.json` path (weight files resolved beside it).
 * @example const model = await loadModelFile('./out/model.json');
 */
export async function loadModelFile(path: string): Promise<tf.LayersModel> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  } catch (err) {
    return fail('bad_input', `cannot read model '${path}'`, err);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    fail('bad_input', `'${path}' is not a tfjs layers model.json`);
  const parts: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) parts.push(new Uint8Array(await readFile(join(dirname(path), p))));
    specs.push(...group.weights);
  }
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: concat(parts) }),
  );
}

/**
 * Saves `model` as `<dir>/model.json` + `<dir>/weights.bin`; returns the sha256 of weights.bin (the report's model
 * digest).
 * @example const { sha256 } = await saveModelFiles(model, './out');
 */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<{ sha256: string; path: string }> {
  await mkdir(dir, { recursive: true });
  let sha256 = '';
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data =
        a.weightData === undefined
          ? new Uint8Array(0)
          : new Uint8Array(
              concat((Array.isArray(a.weightData) ? a.weightData : [a.weightData]).map((b) => new Uint8Array(b))),
            );
      sha256 = createHash('sha256').update(data).digest('hex');
      await writeFile(join(dir, 'weights.bin'), data);
      const json: ModelJson = {
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        modelTopology: a.modelTopology as object,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { sha256, path: join(dir, 'model.json') };
}
