import { describe, expect, it } from 'vitest';
import { escapeHtml } from '@dpledger/audit';
import { html, raw } from './html.js';
import { fmtNumber } from './layout.js';
import { readCookie } from './sessions.js';
import { epsilonCurveSvg, gaugeSvg } from './svg-curve.js';

describe('html', () => {
  it('escapes the five HTML specials and the backtick in every interpolation, arrays included', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;',
    );
    expect(html`<p title="${'"><img>'}">${['<b>', html`<i>${'&'}</i>`]}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;img&gt;">&lt;b&gt;<i>&amp;</i></p>',
    );
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
    expect(raw('<br>').value).toBe('<br>');
  });

  it('escapes a chart title', () => {
    expect(epsilonCurveSvg([], { title: '</svg><script>' }).value).not.toContain('<script>');
  });
});

describe('cookies', () => {
  it('reads a cookie among others', () => {
    expect(readCookie('a=1; dpl_session=xyz; b=2', 'dpl_session')).toBe('xyz');
    expect(readCookie('xdpl_session=1', 'dpl_session')).toBeUndefined();
    expect(readCookie(undefined, 'dpl_session')).toBeUndefined();
  });
});

describe('dashboard figures', () => {
  it('shows epsilon and delta rounded up, never to nearest, and the spent share rounded up', () => {
    expect(fmtNumber(1.71101)).toBe('1.712'); // to nearest: 1.711
    expect(fmtNumber(2.99981)).toBe('3');
    expect(fmtNumber(1.2341e-5)).toBe('1.24e-5');
    expect(fmtNumber(1e-5)).toBe('1.00e-5');
    expect(fmtNumber(Infinity)).toBe('∞');
    expect(fmtNumber(1.71109, 'down')).toBe('1.711');
    expect(fmtNumber(1.2349e-5, 'down')).toBe('1.23e-5');
    expect(String(gaugeSvg({ spent: 1.001, limit: 3 }))).toContain('aria-label="34% of the budget spent"');
  });
});
