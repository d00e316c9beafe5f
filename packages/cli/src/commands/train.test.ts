import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdpAccountant } from '@dpledger/accounting';
import { startAccountant, type RunningAccountant } from '@dpledger/accountant';
import { createApiKey, createClient } from '@dpledger/client';
import { loadIdx, loadModelFile, toTensors } from '@dpledger/trainer';
import { run, type TrainConfig } from './train.js';

const SAMPLE = new URL('../../../trainer/fixtures/fashion-mnist-sample', import.meta.url).pathname;

function config(dir: string, extra: Partial<TrainConfig> = {}): string {
  const c: TrainConfig = {
    model: 'mlp',
    data: { dir: SAMPLE, trainLimit: 200, testLimit: 50 },
    privacy: { clipNorm: 1, noiseMultiplier: 1.2, expectedBatchSize: 20, delta: 1e-5 },
    optimizer: { kind: 'sgd', learningRate: 0.5 },
    training: { steps: 4, seed: 3, backend: 'cpu' },
    accountant: 'rdp',
    output: 'out',
    ...extra,
  };
  const path = join(dir, 'train.json');
  writeFileSync(path, JSON.stringify(c));
  return path;
}

const capture = () => {
  const lines: string[] = [];
  return { io: { err: (t: string) => void lines.push(t), isTty: false }, text: () => lines.join('') };
};

describe('dpledger train', () => {
  it('trains a few steps from a config, shows progress, writes model and summary; secure by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const cap = capture();
    expect(await run(['--config', config(dir)], cap.io)).toBe(0);
    expect(cap.text()).toMatch(/step 4\/4 {2}eps \d+\.\d{3} {2}loss \d+\.\d{4} \(private, not DP\) {2}ETA \d+s/);
    expect(cap.text()).not.toContain('seed');
    const summaryText = readFileSync(join(dir, 'out', 'summary.json'), 'utf8');
    const summary = JSON.parse(summaryText);
    expect(summaryText).not.toMatch(/loss|batch_sizes/); // un-noised statistics stay on the machine
    const shown = /epsilon (\d+\.\d{3}) at delta/.exec(cap.text())![1]!;
    expect(Number(shown)).toBeGreaterThanOrEqual(summary.privacy.epsilon); // rounded up, never to nearest
    expect(Number(shown) - summary.privacy.epsilon).toBeLessThan(1e-3);
    expect(summary).toMatchObject({
      steps: 4,
      stopped: null,
      backend: 'cpu',
      privacy: {
        accountant: 'rdp',
        noise_rng: 'secure',
        epsilon_caveat: null,
        sampler: 'poisson',
        neighboring_relation: 'add_or_remove_one',
        sampling_probability: 0.1,
      },
    });
    const ledger = {
      kind: 'self_composed',
      count: 4,
      event: { kind: 'poisson_sampled', sampling_probability: 0.1, event: { kind: 'gaussian', noise_multiplier: 1.2 } },
    } as const;
    expect(summary.ledger).toEqual({ kind: 'composed', events: [ledger] });
    expect(summary.privacy.epsilon).toBeCloseTo(
      new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(ledger).getEpsilon(1e-5),
      10,
    );
    expect(summary.dataset.sha256).toBe((await loadIdx(SAMPLE, { split: 'train', limit: 200 })).manifest.sha256);
    const model = await loadModelFile(join(dir, 'out', 'model', 'model.json'));
    expect(model.countParams()).toBe(784 * 512 + 512 + 5130);
    // test_accuracy is the saved model's top-1 accuracy on the 50 test images, counted here by hand
    const test = toTensors(await loadIdx(SAMPLE, { split: 'test', limit: 50 }), { layout: 'flat' });
    const predicted = (model.predict(test.xs) as tf.Tensor).argMax(-1).arraySync() as number[];
    const truth = test.ys.argMax(-1).arraySync() as number[];
    expect(summary.test_accuracy).toBe(predicted.filter((p, i) => p === truth[i]).length / 50);
    tf.dispose([test.xs, test.ys]);
    const digest = (await import('node:crypto'))
      .createHash('sha256')
      .update(readFileSync(join(dir, 'out', 'model', 'weights.bin')))
      .digest('hex');
    expect(summary.model_digest.sha256).toBe(digest);
    tf.dispose(model.getWeights());

    // the saved model.json is itself a valid "model" for the next run, which continues from its weights
    const next = mkdtempSync(join(tmpdir(), 'train-'));
    const path = config(next, {
      model: join(dir, 'out', 'model', 'model.json'),
      training: { steps: 1, seed: 4, backend: 'cpu' },
    });
    expect(await run(['--config', path, '--quiet'], capture().io)).toBe(0);
    const again = JSON.parse(readFileSync(join(next, 'out', 'summary.json'), 'utf8'));
    expect(again.steps).toBe(1);
    expect(again.model_digest.sha256).not.toBe(summary.model_digest.sha256);
  });

  it('privacy.seed: reproducible; each printed epsilon says it holds only while the seed is secret', async () => {
    const seeded = async (seed: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'train-'));
      const cap = capture();
      const privacy = { clipNorm: 1, noiseMultiplier: 1.2, expectedBatchSize: 20, delta: 1e-5, seed };
      expect(
        await run(['--config', config(dir, { privacy, training: { steps: 2, seed: 3, backend: 'cpu' } })], cap.io),
      ).toBe(0);
      return { text: cap.text(), summary: JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) };
    };
    const a = await seeded('00112233445566778899aabbccddeeff');
    const epsilonLines = a.text.split('\n').filter((l) => /eps(ilon)? \d/.test(l));
    expect(epsilonLines.length).toBeGreaterThanOrEqual(2); // progress and the final line
    for (const line of epsilonLines)
      expect(line).toMatch(/eps(ilon)? \d+\.\d{3} \(seeded run: holds only while the seed stays secret\)/);
    expect(a.summary.privacy).toMatchObject({
      noise_rng: 'seeded',
      epsilon_caveat: 'seeded run: holds only while the seed stays secret',
    });
    expect((await seeded('00112233445566778899aabbccddeeff')).summary.model_digest).toEqual(a.summary.model_digest);
    expect((await seeded('00112233445566778899aabbccddeefe')).summary.model_digest).not.toEqual(a.summary.model_digest);
  });

  it('refuses a numeric or short seed, and secureMode: false without a seed, as config errors (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const base = { clipNorm: 1, noiseMultiplier: 1.2, expectedBatchSize: 20 };
    for (const privacy of [
      { ...base, seed: 3 },
      { ...base, seed: 'abcdef' },
      { ...base, secureMode: false },
      { ...base, secureMode: true, seed: '00112233445566778899aabbccddeeff' },
    ]) {
      await expect(
        run(['--config', config(dir, { privacy } as unknown as Partial<TrainConfig>)], capture().io),
        JSON.stringify(privacy),
      ).rejects.toMatchObject({ exitCode: 2 });
    }
  });

  it('with a target and a step count, calibrates for exactly the steps it runs (issue 14.4)', async () => {
    // q = 9/40 = 0.225, an epoch is round(40/9) = 4 steps: 20 steps used to become 4.5 epochs = ceil(18) steps of
    // calibration, and 20 steps at that noise overshot the target.
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const target = 2;
    const data = { dir: SAMPLE, trainLimit: 40, testLimit: 10 };
    const path = config(dir, {
      data,
      privacy: { clipNorm: 1, target: { epsilon: target }, expectedBatchSize: 9, delta: 1e-5 },
      training: { steps: 20, backend: 'cpu' },
    });
    expect(await run(['--config', path, '--quiet'], capture().io)).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.steps).toBe(20);
    expect(summary.privacy.epsilon).toBeLessThanOrEqual(target);
    expect(summary.privacy.epsilon).toBeGreaterThan(target - 0.05); // calibrated for these 20 steps, not fewer or more
    const mismatch = config(dir, {
      data,
      privacy: { clipNorm: 1, target: { epsilon: target, epochs: 3 }, expectedBatchSize: 9, delta: 1e-5 },
      training: { steps: 20, backend: 'cpu' },
    });
    await expect(run(['--config', mismatch], capture().io)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('privacy.target.epochs'),
    });
  });

  it('training.epochs, shuffle, target in epochs: floor(n/B) steps/epoch, calibrated under replace_one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const target = 4;
    const privacy = {
      clipNorm: 1,
      target: { epsilon: target, epochs: 2 },
      expectedBatchSize: 10,
      sampler: 'shuffle' as const,
      delta: 1e-5,
    };
    const path = config(dir, {
      data: { dir: SAMPLE, trainLimit: 25, testLimit: 10 },
      privacy,
      training: { epochs: 2, backend: 'cpu' },
    });
    expect(await run(['--config', path, '--quiet'], capture().io)).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      steps: 4,
      planned_steps: 4,
      privacy: { sampler: 'shuffle', neighboring_relation: 'replace_one', noise: 'gaussian' },
    }); // 2 x floor(25/10)
    // a replaced record moves the clipped sum by up to 2C: logged as a gaussian of noise multiplier sigma / 2
    const step = {
      kind: 'gaussian',
      noise_multiplier: summary.privacy.noise_multiplier / 2,
      neighboring_relation: 'replace_one',
    } as const;
    expect(summary.ledger).toEqual({ kind: 'composed', events: [{ kind: 'self_composed', count: 4, event: step }] });
    const eps = new RdpAccountant({ neighboringRelation: 'replace_one' }).compose(step, 4).getEpsilon(1e-5);
    expect(summary.privacy.epsilon).toBeCloseTo(eps, 10);
    expect(eps).toBeLessThanOrEqual(target);
    expect(eps).toBeGreaterThan(target - 0.05); // calibrated for these 4 steps
  });

  it('tanh-cnn trains on image-shaped input; discrete_gaussian noise (secureMode: true) logs zCDP steps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const privacy = {
      clipNorm: 1,
      noiseMultiplier: 2,
      expectedBatchSize: 5,
      delta: 1e-5,
      noise: 'discrete_gaussian' as const,
      secureMode: true,
    };
    const path = config(dir, {
      model: 'tanh-cnn',
      data: { dir: SAMPLE, trainLimit: 20, testLimit: 10 },
      privacy,
      training: { steps: 2, seed: 3, backend: 'cpu' },
    });
    expect(await run(['--config', path, '--quiet'], capture().io)).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      model: 'tanh-cnn',
      steps: 2,
      privacy: { noise: 'discrete_gaussian', noise_rng: 'secure', epsilon_caveat: null },
    });
    const [logged] = summary.ledger.events as { kind: string; count: number; event: { kind: string; rho: number } }[];
    expect(logged).toMatchObject({ kind: 'self_composed', count: 2, event: { kind: 'zcdp' } });
    expect(logged!.event.rho).toBeLessThanOrEqual(1 / 8); // rho <= 1 / (2 sigma^2) (Canonne, Kamath, Steinke 2020)
    expect(logged!.event.rho).toBeGreaterThan(0.99 / 8);
    const model = await loadModelFile(join(dir, 'out', 'model', 'model.json'));
    expect(model.inputs[0]!.shape).toEqual([null, 28, 28, 1]);
    expect(model.countParams()).toBe(26010); // the tanh CNN of Papernot et al. 2020 (build-model.ts)
    tf.dispose(model.getWeights());
  });

  it('refuses a bad config with exit status 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ model: 'mlp' }));
    await expect(run(['--config', path], capture().io)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('data.dir'),
    });
    await expect(run([], capture().io)).rejects.toMatchObject({ exitCode: 2 });
  });

  it('refuses delta >= 1/n (exit 2, no files) unless privacy.allowLargeDelta, noted in summary.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const large = { clipNorm: 1, noiseMultiplier: 1.2, expectedBatchSize: 20, delta: 1 / 200 };
    await expect(run(['--config', config(dir, { privacy: large })], capture().io)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/delta 0\.005 is not below 1\/n .*allowLargeDelta/),
    });
    expect(() => readFileSync(join(dir, 'out', 'summary.json'))).toThrow();
    const cap = capture();
    const path = config(dir, {
      privacy: { ...large, allowLargeDelta: true },
      training: { steps: 1, seed: 3, backend: 'cpu' },
    });
    expect(await run(['--config', path], cap.io)).toBe(0);
    expect(cap.text()).toMatch(/WARNING delta 0\.005 is not below 1\/n/);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.privacy).toMatchObject({
      delta: 0.005,
      allow_large_delta: true,
      delta_warning: expect.stringContaining('not below 1/n'),
    });
  });

  it('writes the opt-in noised loss estimates to summary.json, accounted in its ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const noisyLoss = { every: 1, noiseMultiplier: 4, clip: 5 };
    const path = config(dir, {
      privacy: { clipNorm: 1, noiseMultiplier: 1.2, expectedBatchSize: 20, delta: 1e-5, noisyLoss },
      training: { steps: 2, seed: 3, backend: 'cpu' },
    });
    expect(await run(['--config', path, '--quiet'], capture().io)).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.noisy_loss).toMatchObject({ ...noisyLoss, estimates: [{ step: 1 }, { step: 2 }] });
    const step = {
      kind: 'poisson_sampled',
      sampling_probability: 0.1,
      event: { kind: 'gaussian', noise_multiplier: 1.2 },
    };
    const loss = {
      kind: 'poisson_sampled',
      sampling_probability: 0.1,
      event: { kind: 'gaussian', noise_multiplier: 4 },
    };
    expect(summary.ledger).toEqual({ kind: 'composed', events: [step, loss, step, loss] });
    expect(summary.privacy.epsilon).toBeCloseTo(
      new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
        .compose(step as never, 2)
        .compose(loss as never, 2)
        .getEpsilon(1e-5),
      10,
    );
  });

  describe('against a real accountant service', () => {
    let svc: RunningAccountant;
    beforeAll(async () => {
      svc = await startAccountant({
        port: 0,
        host: '127.0.0.1',
        dataDir: mkdtempSync(join(tmpdir(), 'acct-')),
        adminToken: 'admin-token-for-tests-0123456789',
        logLevel: 'silent',
      });
    });
    afterAll(async () => {
      await svc?.close();
    });

    it('stops at the last step the budget allows (exit 3), with the server ledger matching', async () => {
      const { api_key } = await createApiKey(svc.url, svc.adminToken, 'acme');
      const client = createClient({ baseUrl: svc.url, apiKey: api_key });
      const step = {
        kind: 'poisson_sampled',
        sampling_probability: 0.1,
        event: { kind: 'gaussian', noise_multiplier: 1.2 },
      } as const;
      const eps = (k: number) =>
        new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step, k).getEpsilon(1e-5);
      const allowed = 3;
      const budget = await client.createBudget({
        name: 'mnist',
        epsilon: (eps(allowed) + eps(allowed + 1)) / 2,
        delta: 1e-5,
      });
      const runRec = await client.createRun({
        budget_id: budget.id,
        name: 'cli',
        sampler: { kind: 'poisson', dataset_size: 200, expected_batch_size: 20 },
      });
      const dir = mkdtempSync(join(tmpdir(), 'train-'));
      const cap = capture();
      const path = config(dir, {
        accountant: { url: svc.url, runId: runRec.id, apiKey: api_key, reserveSteps: 2 },
        training: { steps: 6, seed: 3, backend: 'cpu' },
      });
      expect(await run(['--config', path], cap.io)).toBe(3);
      expect(cap.text()).toMatch(/refused step 4: budget exhausted; stopped after 3 steps/);
      const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ steps: allowed, stopped: { reason: 'budget_exhausted', atStep: allowed } });
      const events = await client.listEvents(runRec.id);
      const counted = events.reduce((n, e) => n + ((e as { count?: number }).count ?? 1), 0);
      expect(counted).toBe(allowed);
      expect((await client.getBudget(budget.id)).epsilon_spent).toBeCloseTo(eps(allowed), 6);
    });

    it('refuses a seeded config for a run that declared secure randomness (report would say secure)', async () => {
      const { api_key } = await createApiKey(svc.url, svc.adminToken, 'acme-rng');
      const client = createClient({ baseUrl: svc.url, apiKey: api_key });
      const budget = await client.createBudget({ name: 'mnist', epsilon: 10, delta: 1e-5 });
      const runRec = await client.createRun({
        budget_id: budget.id,
        name: 'cli',
        sampler: { kind: 'poisson', dataset_size: 200, expected_batch_size: 20 },
        noise_rng: 'secure',
      });
      const dir = mkdtempSync(join(tmpdir(), 'train-'));
      const privacy = {
        clipNorm: 1,
        noiseMultiplier: 1.2,
        expectedBatchSize: 20,
        delta: 1e-5,
        seed: '00112233445566778899aabbccddeeff',
      };
      const path = config(dir, {
        privacy,
        accountant: { url: svc.url, runId: runRec.id, apiKey: api_key },
        training: { steps: 1, backend: 'cpu' },
      });
      await expect(run(['--config', path], capture().io)).rejects.toThrow(/declares noise_rng 'secure'/);
      expect(await client.listEvents(runRec.id)).toEqual([]);
    });
  });
});
