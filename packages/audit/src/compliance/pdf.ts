/** The compliance report as a PDF (pdfkit), with the same blocks as the HTML page and a vector plot. */
import PDFDocument from 'pdfkit';
import type { CheckStatus } from './checks.js';
import { reportContent, type Block } from './content.js';
import { buildComplianceModel, type ComplianceModel, type ReportRenderInput } from './model.js';
import { plotGeometry } from './plot.js';

const COLORS: Record<CheckStatus, string> = { pass: '#1a7f37', fail: '#cf222e', warn: '#9a6700', skip: '#6e7781' };
const GREEK: Record<string, string> = {
  ε: 'epsilon',
  δ: 'delta',
  α: 'alpha',
  σ: 'sigma',
  '≈': '~',
  '≤': '<=',
  '∞': 'infinity',
};
// Printable Latin-1 plus the characters WinAnsi (PDF 32000-1 annex D.2) places in 0x80-0x9F.
const NOT_WIN_ANSI = /[^\n\x20-\x7e\xa0-\xff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/gu;

/**
 * The standard PDF fonts encode WinAnsi only: Greek letters become words, anything else unknown becomes '?'.
 * @example pdfText('ε = 1 ✓') // 'epsilon = 1 ?'
 */
export function pdfText(text: string): string {
  return text.replace(/[εδασ≈≤∞]/g, (c) => GREEK[c]!).replace(NOT_WIN_ANSI, '?');
}

type Doc = PDFKit.PDFDocument;

function ensureRoom(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
}

function table(doc: Doc, b: Extract<Block, { kind: 'table' }>): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const widths = b.head.length === 2 ? [0.3, 0.7] : [0.3, 0.17, 0.53];
  const cols = widths.map((w) => w * width);
  const pad = 4;
  const row = (cells: string[], bold: boolean, status?: CheckStatus): void => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    const heights = cells.map((c, j) => doc.heightOfString(pdfText(c), { width: cols[j]! - 2 * pad }));
    const h = Math.max(...heights) + 2 * pad;
    ensureRoom(doc, h);
    const y = doc.y;
    let x = left;
    cells.forEach((c, j) => {
      if (bold) doc.rect(x, y, cols[j]!, h).fillAndStroke('#f6f8fa', '#d0d7de');
      else doc.rect(x, y, cols[j]!, h).stroke('#d0d7de');
      const color = status !== undefined && j === 1 ? COLORS[status] : '#1f2328';
      doc
        .font(bold || (status !== undefined && j === 1) ? 'Helvetica-Bold' : 'Helvetica')
        .fillColor(color)
        .text(pdfText(c), x + pad, y + pad, { width: cols[j]! - 2 * pad });
      x += cols[j]!;
    });
    doc.x = left;
    doc.y = y + h;
  };
  row(b.head, true);
  b.rows.forEach((r, i) => row(r, false, b.status?.[i]));
  doc.fillColor('#1f2328').moveDown(0.6);
}

function plot(doc: Doc, m: ComplianceModel): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const g = plotGeometry(m.curve, m.predicate.budget.epsilon, width, 230);
  ensureRoom(doc, g.height + 10);
  const ox = left;
  const oy = doc.y;
  const { area } = g;
  doc.save().fontSize(8).font('Helvetica').fillColor('#57606a').lineWidth(0.5);
  for (const t of g.yTicks) {
    doc
      .moveTo(ox + area.left, oy + t.at)
      .lineTo(ox + area.right, oy + t.at)
      .stroke('#eaeef2');
    doc.text(t.label, ox, oy + t.at - 4, { width: area.left - 6, align: 'right', lineBreak: false });
  }
  for (const t of g.xTicks) {
    doc
      .moveTo(ox + t.at, oy + area.bottom)
      .lineTo(ox + t.at, oy + area.bottom + 4)
      .stroke('#57606a');
    doc.text(t.label, ox + t.at - 30, oy + area.bottom + 7, { width: 60, align: 'center', lineBreak: false });
  }
  doc
    .moveTo(ox + area.left, oy + area.top)
    .lineTo(ox + area.left, oy + area.bottom)
    .lineTo(ox + area.right, oy + area.bottom)
    .stroke('#57606a');
  if (g.limitY !== null) {
    doc
      .save()
      .dash(5, { space: 3 })
      .moveTo(ox + area.left, oy + g.limitY)
      .lineTo(ox + area.right, oy + g.limitY)
      .stroke('#cf222e')
      .restore();
    doc
      .fillColor('#57606a')
      .text(`budget limit epsilon = ${m.predicate.budget.epsilon}`, ox + area.right - 200, oy + g.limitY - 11, {
        width: 200,
        align: 'right',
        lineBreak: false,
      });
  }
  const [first, ...rest] = g.line;
  if (first !== undefined) {
    doc.lineWidth(1.5).moveTo(ox + first[0], oy + first[1]);
    for (const [x, y] of rest) doc.lineTo(ox + x, oy + y);
    doc.stroke('#0969da');
  }
  doc.fillColor('#57606a').text('step', ox + (area.left + area.right) / 2 - 20, oy + g.height - 12, {
    width: 40,
    align: 'center',
    lineBreak: false,
  });
  doc.restore();
  doc.x = left;
  doc.y = oy + g.height + 4;
}

function block(doc: Doc, b: Block, m: ComplianceModel): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  switch (b.kind) {
    case 'title': {
      doc.font('Helvetica-Bold').fontSize(18).fillColor('#1f2328').text(pdfText(b.text), { width });
      doc.moveDown(0.3);
      const y = doc.y;
      doc.font('Helvetica-Bold').fontSize(11);
      const h = doc.heightOfString(pdfText(b.verdict), { width: width - 12 }) + 8;
      doc.rect(left, y, width, h).fill(b.verified ? '#1a7f37' : '#cf222e');
      doc.fillColor('#ffffff').text(pdfText(b.verdict), left + 6, y + 4, { width: width - 12 });
      doc.x = left;
      doc.y = y + h;
      doc.fillColor('#1f2328').moveDown(0.5);
      return;
    }
    case 'heading':
      ensureRoom(doc, 60);
      doc
        .moveDown(0.4)
        .font('Helvetica-Bold')
        .fontSize(13)
        .fillColor('#1f2328')
        .text(pdfText(b.text), left, doc.y, { width });
      doc.moveDown(0.2);
      return;
    case 'paragraph':
      doc
        .font('Helvetica')
        .fontSize(10)
        .fillColor('#1f2328')
        .text(pdfText(b.text), left, doc.y, { width, align: 'left' });
      doc.moveDown(0.5);
      return;
    case 'bar': {
      doc.font('Helvetica').fontSize(10).fillColor('#1f2328').text(pdfText(b.label), left, doc.y, { width });
      const frac = b.limit > 0 ? Math.min(1, Math.max(0, b.value / b.limit)) : 1;
      const y = doc.y + 4;
      doc.roundedRect(left, y, width, 12, 3).fill('#eaeef2');
      if (frac > 0) doc.roundedRect(left, y, width * frac, 12, 3).fill(frac >= 1 ? '#cf222e' : '#0969da');
      doc.x = left;
      doc.y = y + 20;
      doc.fillColor('#1f2328');
      return;
    }
    case 'plot':
      if (m.curve.unavailable === null) plot(doc, m);
      doc.font('Helvetica-Oblique').fontSize(9).fillColor('#57606a').text(pdfText(b.caption), left, doc.y, { width });
      doc.fillColor('#1f2328').moveDown(0.5);
      return;
    case 'table':
      table(doc, b);
      return;
  }
}

/**
 * Renders the compliance report as an A4 PDF (vector text and plot).
 * @example fs.writeFileSync('report.pdf', await renderReportPdf({ envelope, keys: [jwk], events }))
 */
export function renderReportPdf(input: ReportRenderInput): Promise<Buffer> {
  const m = buildComplianceModel(input);
  const issued = new Date(m.predicate.issued_at);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: pdfText(`Privacy report: ${m.predicate.run.name}`),
      Subject: 'dpledger privacy report',
      Creator: '@dpledger/audit',
      ...(Number.isNaN(issued.getTime()) ? {} : { CreationDate: issued }),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const b of reportContent(m)) block(doc, b, m);
  doc.end();
  return done;
}
