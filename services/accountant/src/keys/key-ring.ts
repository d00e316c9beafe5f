/**
 * The service's Ed25519 signing keys: stored as PKCS#8 PEM, newest signs, every older one stays published so
 * reports it signed still verify after a rotation.
 */
import { exportSigningKey, generateSigningKey, importSigningKey, type Jwk, type SigningKey } from '@dpledger/audit';
import type { Store } from '../store/store.js';
import { openPrivateKey, sealPrivateKey } from './key-encryption.js';

export class KeyRing {
  private constructor(
    private readonly store: Store,
    private keys: { key: SigningKey; created_at: string }[],
    private readonly kek: Buffer | undefined,
  ) {}

  /**
   * Loads the stored keys, generating the first one when there is none. With `kek` (key-encryption.ts) new keys are
   * stored sealed and sealed ones are opened.
   * @example const ring = await KeyRing.open(store, () => new Date())
   */
  static async open(store: Store, now: () => Date, kek?: Buffer): Promise<KeyRing> {
    const rows = await store.listSigningKeys();
    const ring = new KeyRing(store, rows.map((r) => ({ key: importSigningKey(openPrivateKey(r.private_pem, r.kid, kek)), created_at: r.created_at })), kek);
    if (ring.keys.length === 0) await ring.rotate(now);
    return ring;
  }

  /** The key that signs new reports (the newest). */
  get active(): SigningKey {
    const k = this.keys[0];
    if (k === undefined) throw new Error('no signing key');
    return k.key;
  }

  /** Public JWKs of every key, newest first. */
  jwks(): Jwk[] {
    return this.keys.map((k) => ({ ...k.key.publicJwk, alg: 'EdDSA', use: 'sig', created_at: k.created_at }));
  }

  /** Generates, stores and activates a new key; returns its public JWK. */
  async rotate(now: () => Date): Promise<Jwk> {
    const key = generateSigningKey();
    const created_at = now().toISOString();
    await this.store.insertSigningKey({ kid: key.kid, private_pem: sealPrivateKey(exportSigningKey(key), key.kid, this.kek), created_at });
    this.keys = [{ key, created_at }, ...this.keys];
    return this.jwks()[0]!;
  }

  /** Re-reads the keys (another replica may have rotated). */
  async refresh(): Promise<void> {
    const rows = await this.store.listSigningKeys();
    this.keys = rows.map((r) => ({ key: importSigningKey(openPrivateKey(r.private_pem, r.kid, this.kek)), created_at: r.created_at }));
  }
}
