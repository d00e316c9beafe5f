/**
 * `dpledger demo` end to end: accountant, tenant, budget, run; DP-SGD on Fashion-MNIST with every step reserved and
 * committed at the accountant; close with the model and dataset digests; fetch, verify and write the signed report.
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { calibrateNoiseMultiplier, deltaTooLarge, stepsForEpochs } from '@dpledger/accounting';
import {
  DPTrainer,
  SEEDED_RUN_CAVEAT,
  accuracy,
  buildModel,
  loadIdx,
  nativeGemmStatus,
  saveModelFiles,
  toTensors,
  useBackend,
} from '@dpledger/trainer';
import { CliError } from '../cli-error.js';
import { openAccountant } from './accountant-session.js';
import { chooseDataset } from './dataset.js';
import type { DemoOptions } from './options.js';
import { ProgressBar } from './progress.js';
import { writeReportFiles } from './report-files.js';

/** The dataset named in the run's metadata when the demo trains on the shipped sample. */
const SAMPLE_DATASET = 'Fashion-MNIST sample shipped with @dpledger/trainer';

/** What the demo did, for the summary. */
export interface DemoResult {
  dataset: string;
  accountant: string;
  backend: string;
  trainSize: number;
  testSize: number;
  steps: number;
  stepsTaken: number;
  stoppedByBudget: boolean;
  noiseMultiplier: number;
  samplingProbability: number;
  /** 'seeded' with --seed: every epsilon then holds only while the seed stays secret (`epsilonCaveat`). */
  noiseRng: 'secure' | 'seeded';
  epsilonCaveat: string | null;
  testAccuracy: number;
  budget: { id: string; epsilon: number; delta: number };
  runId: string;
  epsilonRdp: number;
  rdpOrder: number | undefined;
  epsilonPld: number | null;
  /** The signed one-run audit, when the run had canaries. */
  audit: { epsilonLower: number; canaries: number; correct: number; guesses: number; passed: boolean } | null;
  keyid: string;
  files: { reportJson: string; jwk: string; events: string; html: string; pdf: string; model: string };
  wallSeconds: number;
}

/** Where the demo writes human-readable lines (progress and notes go to `err`). */
export interface DemoIo {
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Runs the demo with parsed options.
 * @example const result = await runDemo(parseDemoOptions(['--steps', '40']) as DemoOptions, { err: process.stderr });
 */
export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const started = Date.now();
  const say = (line: string): void => void io.err.write(`${line}\n`);
  const out = resolve(opts.out);
  const data = chooseDataset(opts.data);
  say(`dataset: ${data.label}`);
  const backend = await useBackend('auto');
  const train = await loadIdx(data.dir, { split: 'train', limit: opts.trainSize });
  const test = await loadIdx(data.dir, { split: 'test', limit: opts.testSize });
  const n = train.count;
  const tooLarge = deltaTooLarge(opts.delta, n);
  if (tooLarge !== null) throw new CliError(`--delta: ${tooLarge}`);
  const batch = Math.min(opts.batchSize, n);
  const q = batch / n;
  // the trainer's epoch
  const sampling = { sampler: 'poisson' as const, datasetSize: n, expectedBatchSize: batch };
  const steps = opts.steps ?? stepsForEpochs(opts.epochs ?? 1, sampling);
  const noiseRng = opts.seed === undefined ? 'secure' : 'seeded';
  const caveat = opts.seed === undefined ? null : SEEDED_RUN_CAVEAT;
  const note = caveat === null ? '' : ` (${caveat})`;
  const { noiseMultiplier } = calibrateNoiseMultiplier({
    targetEpsilon: opts.targetEpsilon,
    targetDelta: opts.delta,
    samplingProbability: q,
    steps,
    accountant: 'rdp',
  });
  const plan = `${steps} steps, sigma ${noiseMultiplier.toFixed(3)} calibrated to epsilon ${opts.targetEpsilon}${note}`;
  const gemm = backend === 'wasm' ? ` (${nativeGemmStatus()})` : ''; // which matMul the wasm backend runs
  say(
    `training: ${n} images, expected batch ${batch} (q = ${q.toPrecision(3)}), ${plan} ` +
      `at delta ${opts.delta.toExponential()}, backend ${backend}${gemm}`,
  );

  const session = await openAccountant(opts);
  try {
    say(`accountant: ${session.label}`);
    const { client } = session;
    const budget = await client.createBudget({
      name: 'Fashion-MNIST (dpledger demo)',
      epsilon: opts.targetEpsilon,
      delta: opts.delta,
      accountant: 'rdp',
      neighboring_relation: 'add_or_remove_one',
    });
    const metadata = {
      model: 'tanh-cnn (Papernot et al. 2020)',
      optimizer: 'momentum',
      learning_rate: opts.learningRate,
      momentum: 0.9,
      clip_norm: opts.clipNorm,
      noise_multiplier: noiseMultiplier,
      expected_batch_size: batch,
      steps,
      train_images: n,
      dataset: data.source === 'sample' ? SAMPLE_DATASET : `Fashion-MNIST from ${data.dir}`,
      backend,
    };
    const run = await client.createRun({
      budget_id: budget.id,
      name: `demo ${new Date().toISOString()}`,
      sampler: { kind: 'poisson', dataset_size: n, expected_batch_size: batch },
      noise_rng: noiseRng,
      metadata,
    });

    const model = buildModel('tanh-cnn');
    const trainer = new DPTrainer({
      model,
      loss: 'categoricalCrossentropy',
      optimizer: { kind: 'momentum', learningRate: opts.learningRate, momentum: 0.9 },
      clipNorm: opts.clipNorm,
      noiseMultiplier,
      expectedBatchSize: batch,
      datasetSize: n,
      seed: opts.seed,
      accountant: { client, runId: run.id },
      privateLoss: true, // the progress bar shows it, labelled private
      ...(opts.canaries > 0 ? { audit: { canaries: opts.canaries, kind: 'gradient' as const } } : {}),
    });
    if (trainer.noiseRng !== run.noise_rng) {
      throw new CliError(`the trainer's noise RNG is ${trainer.noiseRng}, the run says ${run.noise_rng}`, 1);
    }

    const bar = new ProgressBar(io.err);
    const t0 = Date.now();
    const { xs, ys } = toTensors(train, { layout: 'image' });
    try {
      await trainer.fit(xs, ys, {
        steps,
        callbacks: {
          onStep: (s) => {
            bar.update({
              step: s.step + 1,
              totalSteps: steps,
              epsilonSpent: trainer.epsilon(opts.delta),
              epsilonBudget: opts.targetEpsilon,
              privateLoss: s.private.loss,
              elapsedMs: Date.now() - t0,
              epsilonNote: caveat ?? undefined,
            });
          },
        },
      });
    } finally {
      bar.done();
      tf.dispose([xs, ys]);
      await trainer.close();
    }
    const stepsTaken = trainer.stepCount;
    const stoppedByBudget = stepsTaken < steps;
    if (stoppedByBudget) {
      say(`the accountant refused step ${stepsTaken + 1}: training stopped at the last allowed step`);
    }

    const testSet = toTensors(test, { layout: 'image' });
    const testAcc = await accuracy(model, testSet.xs, testSet.ys);
    tf.dispose([testSet.xs, testSet.ys]);
    const modelDir = resolve(out, 'model');
    const saved = await saveModelFiles(model, modelDir);
    const digests = { model_digest: { sha256: saved.sha256 }, dataset_digest: { sha256: train.manifest.sha256 } };
    await client.closeRun(run.id, digests);
    const envelope = await client.getReport(run.id);
    const keys = await client.listKeys();
    const events = await client.listEvents(run.id);
    const files = await writeReportFiles(out, { envelope, keys, events });
    const eps = files.verified.predicate.epsilon;
    const signedAudit = files.verified.predicate.audit;
    const charged = budget.accountant === 'pld' && eps.pld !== null ? eps.pld.epsilon : eps.rdp.epsilon;
    model.dispose();
    return {
      dataset: data.label,
      accountant: session.label,
      backend,
      trainSize: n,
      testSize: test.count,
      steps,
      stepsTaken,
      stoppedByBudget,
      noiseMultiplier,
      samplingProbability: q,
      noiseRng,
      epsilonCaveat: caveat,
      testAccuracy: testAcc,
      budget: { id: budget.id, epsilon: budget.epsilon, delta: budget.delta },
      runId: run.id,
      epsilonRdp: eps.rdp.epsilon,
      rdpOrder: eps.rdp.order,
      epsilonPld: eps.pld === null ? null : eps.pld.epsilon,
      audit:
        signedAudit === undefined
          ? null
          : {
              epsilonLower: signedAudit.epsilon_lower,
              canaries: signedAudit.canaries,
              correct: signedAudit.correct,
              guesses: signedAudit.guesses,
              passed: signedAudit.epsilon_lower <= charged,
            },
      keyid: files.keyid,
      files: {
        reportJson: files.reportJson,
        jwk: files.jwk,
        events: files.events,
        html: files.html,
        pdf: files.pdf,
        model: modelDir,
      },
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    await session.close();
  }
}
