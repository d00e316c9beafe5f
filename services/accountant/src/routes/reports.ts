/** Signed reports and RFC 9162 inclusion proofs of single event records. */
import type { Router } from 'express';
import { ServiceError } from '../errors.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { recordProof } from '../report/merkle-proof.js';
import { issueReport } from '../report/issue-report.js';

export function reportRoutes(r: Router, ctx: Ctx): void {
  const { requireTenant } = ctx.guards;

  const closedRun = async (tenant: string, id: string) => {
    const run = await ctx.store.getRun(tenant, id);
    if (run === undefined) throw new ServiceError('not_found', `run ${id} not found`);
    if (run.status !== 'closed')
      throw new ServiceError('run_open', `run ${id} is still open; close it to get its report`);
    return run;
  };

  r.get('/v1/runs/:run_id/report', requireTenant, async (req, res) => {
    const run = await closedRun(tenantOf(res), req.params['run_id']!);
    res.json((await issueReport(ctx, run)).envelope);
  });

  r.get('/v1/runs/:run_id/proof/:sequence', requireTenant, async (req, res) => {
    const run = await closedRun(tenantOf(res), req.params['run_id']!);
    const seq = Number(req.params['sequence']);
    if (!(seq < run.event_count)) throw new ServiceError('not_found', `run ${run.id} has no event ${seq}`);
    // RFC 9162 section 2.1.3.1: the audit path of leaf `seq` in the tree of all `tree_size` leaves.
    const proof = await recordProof(ctx.store, run, seq);
    res.json({
      sequence: seq,
      tree_size: proof.treeSize,
      leaf_hash: proof.leafHash.toString('hex'),
      audit_path: proof.path.map((h) => h.toString('hex')),
      root: proof.root.toString('hex'),
      record: proof.record,
    });
  });
}
