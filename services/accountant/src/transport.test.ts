import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrustProxy } from './http/transport.js';
import { ADMIN, testApp, type TestApp } from './testing/test-deps.js';

const apps: TestApp[] = [];
afterAll(async () => Promise.all(apps.map((a) => a.close())));

async function login(trustProxy: boolean | string, proto?: string) {
  const t = await testApp({ config: { adminToken: ADMIN, validateResponses: true, trustProxy } });
  apps.push(t);
  const key = await t.key('acme');
  const req = request(t.app).post('/login').type('form').send({ api_key: key });
  if (proto !== undefined) req.set('X-Forwarded-Proto', proto);
  const res = await req;
  const health = request(t.app).get('/healthz');
  if (proto !== undefined) health.set('X-Forwarded-Proto', proto);
  return { res, health: await health };
}

describe('behind a TLS proxy', () => {
  it('under trust proxy, X-Forwarded-Proto: https makes the session cookie Secure and adds HSTS', async () => {
    const { res, health } = await login('loopback', 'https');
    expect(res.status).toBe(303);
    expect(res.headers['set-cookie']?.[0]).toMatch(/; Secure$/);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('without trust proxy the header is ignored: no Secure cookie, no HSTS', async () => {
    const { res, health } = await login(false, 'https');
    expect(res.status).toBe(303);
    expect(res.headers['set-cookie']?.[0]).not.toMatch(/Secure/);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(health.headers['strict-transport-security']).toBeUndefined();
  });

  it('under trust proxy a plain-HTTP request gets no Secure cookie and no HSTS', async () => {
    const { res } = await login('loopback');
    expect(res.headers['set-cookie']?.[0]).not.toMatch(/Secure/);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('accepts a same-origin login through a proxy that rewrites Host, only when the proxy is trusted', async () => {
    const post = async (trustProxy: boolean | string) => {
      const t = await testApp({ config: { adminToken: ADMIN, validateResponses: true, trustProxy } });
      apps.push(t);
      const key = await t.key('acme');
      return request(t.app)
        .post('/login')
        .type('form')
        .set({
          Host: '10.0.0.5:8080',
          'X-Forwarded-Host': 'dp.example.com',
          'X-Forwarded-Proto': 'https',
          Origin: 'https://dp.example.com',
        })
        .send({ api_key: key });
    };
    expect((await post('loopback')).status).toBe(303);
    expect((await post(false)).status).toBe(403);
  });

  it('parses DPLEDGER_TRUST_PROXY', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
    expect(() => parseTrustProxy('x;y')).toThrow(/trust proxy/);
  });
});
