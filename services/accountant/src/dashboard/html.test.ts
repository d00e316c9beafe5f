import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from './html.js';
import { readCookie } from './sessions.js';
import { epsilonCurveSvg } from './svg-curve.js';

describe('html', () => {
  it('escapes the five HTML specials and the backtick in every interpolation, arrays included', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
    expect(html`<p title="${'"><img>'}">${['<b>', html`<i>${'&'}</i>`]}</p>`.value).toBe('<p title="&quot;&gt;&lt;img&gt;">&lt;b&gt;<i>&amp;</i></p>');
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
