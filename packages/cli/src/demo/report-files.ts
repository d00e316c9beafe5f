/** Verifies a run's signed report and writes it with its key and its readable renderings. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReportHtml, renderReportPdf, verifyReport, type DsseEnvelope, type Jwk } from '@dpledger/audit';
import type { components } from '@dpledger/api';
import { CliError } from '../cli-error.js';

type EventRecord = components['schemas']['EventRecord'];

/** The written files and the verified report. */
export interface ReportFiles {
  reportJson: string;
  jwk: string;
  /** The run's event records, so `dpledger verify --events` can recompute the Merkle root offline. */
  events: string;
  html: string;
  pdf: string;
  keyid: string;
  verified: ReturnType<typeof verifyReport>;
}

/**
 * Verifies `envelope` against the service's keys (throws AuditError when it does not verify), then writes
 * `report.json`, `<kid>.jwk` (the key that signed it), `events.json` (the event log), `report.html` and
 * `report.pdf` into `out`.
 * @example const files = await writeReportFiles('./dpledger-out', { envelope, keys, events });
 */
export async function writeReportFiles(
  out: string,
  input: { envelope: DsseEnvelope; keys: Jwk[]; events: EventRecord[] },
): Promise<ReportFiles> {
  const verified = verifyReport(input.envelope, input.keys);
  const key = input.keys.find((k) => k.kid === verified.keyid);
  if (key === undefined) throw new CliError(`the service listed no key ${verified.keyid}`, 1);
  await mkdir(out, { recursive: true });
  const files = {
    reportJson: join(out, 'report.json'),
    jwk: join(out, `${verified.keyid.replace(/[^A-Za-z0-9_-]/g, '_')}.jwk`),
    events: join(out, 'events.json'),
    html: join(out, 'report.html'),
    pdf: join(out, 'report.pdf'),
  };
  await writeFile(files.reportJson, `${JSON.stringify(input.envelope, null, 2)}\n`);
  await writeFile(files.jwk, `${JSON.stringify(key, null, 2)}\n`);
  await writeFile(files.events, `${JSON.stringify({ events: input.events })}\n`);
  await writeFile(files.html, renderReportHtml(input));
  await writeFile(files.pdf, await renderReportPdf(input));
  return { ...files, keyid: verified.keyid, verified };
}
