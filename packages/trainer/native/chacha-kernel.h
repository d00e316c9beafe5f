// The ChaCha20 block function (RFC 8439 sections 2.1-2.3) over L blocks at once, one block per vector lane, included
// by noise.cc once per instruction set inside a namespace that defines `vu` (a GCC vector of L uint32) and L.
// No include guard: included once per instruction set on purpose.

static inline vu rotl(vu x, int n) { return (x << n) | (x >> (32 - n)); }

#define DPL_QR(a, b, c, d) \
  a += b;                  \
  d ^= a;                  \
  d = rotl(d, 16);         \
  c += d;                  \
  b ^= c;                  \
  b = rotl(b, 12);         \
  a += b;                  \
  d ^= a;                  \
  d = rotl(d, 8);          \
  c += d;                  \
  b ^= c;                  \
  b = rotl(b, 7);

// Writes blocks block0 .. block0 + L - 1 (64-bit block numbers: state words 12 and 13) under nonce (n0, n1)
// (words 14 and 15) as 16 L little-endian words to out, block after block.
static void blocks(const uint32_t key[8], uint64_t block0, uint32_t n0, uint32_t n1, uint32_t* out) {
  vu x[16];
  const uint32_t sigma[4] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u};  // "expand 32-byte k"
  for (int i = 0; i < 4; i++) x[i] = vu{} + sigma[i];
  for (int i = 0; i < 8; i++) x[4 + i] = vu{} + key[i];
  for (int l = 0; l < L; l++) {
    const uint64_t b = block0 + static_cast<uint64_t>(l);
    x[12][l] = static_cast<uint32_t>(b);
    x[13][l] = static_cast<uint32_t>(b >> 32);
  }
  x[14] = vu{} + n0;
  x[15] = vu{} + n1;
  vu s[16];
  for (int i = 0; i < 16; i++) s[i] = x[i];
  for (int r = 0; r < 10; r++) {  // double rounds: columns, then diagonals
    DPL_QR(s[0], s[4], s[8], s[12]);
    DPL_QR(s[1], s[5], s[9], s[13]);
    DPL_QR(s[2], s[6], s[10], s[14]);
    DPL_QR(s[3], s[7], s[11], s[15]);
    DPL_QR(s[0], s[5], s[10], s[15]);
    DPL_QR(s[1], s[6], s[11], s[12]);
    DPL_QR(s[2], s[7], s[8], s[13]);
    DPL_QR(s[3], s[4], s[9], s[14]);
  }
  for (int i = 0; i < 16; i++) s[i] += x[i];
  for (int l = 0; l < L; l++)
    for (int i = 0; i < 16; i++) out[16 * l + i] = s[i][l];
}
#undef DPL_QR
