/**
 * The service's Ed25519 signing keys: stored as PKCS#8 PEM, newest signs, every older one stays published so
 * reports it signed still verify after a rotation. The public JWKs are computed once per change of the ring.
 */
import { exportSigningKey, generateSigningKey, importSigningKey, type Jwk, type SigningKey } from '@dpledger/audit';
import type { SigningKeyRow, Store } from '../store/store.js';
import { openPrivateKey, sealPrivateKey } from './key-encryption.js';

interface Loaded {
  key: SigningKey;
  created_at: string;
}

export class KeyRing {
  /** Public JWKs, newest first; rebuilt only when the set of keys changes. */
  #jwks: Jwk[] = [];

  private constructor(
    private readonly store: Store,
    private keys: Loaded[],
    private readonly kek: Buffer | undefined,
  ) {
    this.#publish();
  }

  /**
   * Loads the stored keys, generating the first one when there is none. With `kek` (key-encryption.ts) new keys are
   * stored sealed and sealed ones are opened.
   * @example const ring = await KeyRing.open(store, () => new Date())
   */
  static async open(store: Store, now: () => Date, kek?: Buffer): Promise<KeyRing> {
    const rows = await store.listSigningKeys();
    const ring = new KeyRing(
      store,
      rows.map((r) => load(r, kek)),
      kek,
    );
    if (ring.keys.length === 0) await ring.rotate(now);
    return ring;
  }

  /** The key that signs new reports (the newest). */
  get active(): SigningKey {
    const k = this.keys[0];
    // internal assertion: KeyRing.open makes a key when the store has none
    if (k === undefined) throw new Error('no signing key');
    return k.key;
  }

  /** Public JWKs of every key, newest first (the same cached array until the ring changes; do not mutate). */
  jwks(): Jwk[] {
    return this.#jwks;
  }

  /** Generates, stores and activates a new key; returns its public JWK. */
  async rotate(now: () => Date): Promise<Jwk> {
    const key = generateSigningKey();
    const created_at = now().toISOString();
    const private_pem = sealPrivateKey(exportSigningKey(key), key.kid, this.kek);
    await this.store.insertSigningKey({ kid: key.kid, private_pem, created_at });
    this.keys = [{ key, created_at }, ...this.keys];
    this.#publish();
    return this.#jwks[0]!;
  }

  /**
   * Re-reads the key list (another replica may have rotated). Keys already loaded are kept as they are: only a
   * kid not seen before is imported, and the JWKs are rebuilt only when the set of kids changed.
   */
  async refresh(): Promise<void> {
    const rows = await this.store.listSigningKeys();
    const have = new Map(this.keys.map((k) => [k.key.kid, k]));
    if (rows.length === have.size && rows.every((r, i) => r.kid === this.keys[i]?.key.kid)) return;
    this.keys = rows.map((r) => have.get(r.kid) ?? load(r, this.kek));
    this.#publish();
  }

  #publish(): void {
    this.#jwks = this.keys.map(
      (k) => Object.freeze({ ...k.key.publicJwk, alg: 'EdDSA', use: 'sig', created_at: k.created_at }) as Jwk,
    );
  }
}

function load(r: SigningKeyRow, kek: Buffer | undefined): Loaded {
  return { key: importSigningKey(openPrivateKey(r.private_pem, r.kid, kek)), created_at: r.created_at };
}
