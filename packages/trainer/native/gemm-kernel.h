// One instruction set's GEMM, included by gemm.cc once per target inside a namespace that defines `vf` (a GCC vector
// of VL floats), VL and MR. Blocked as in Goto & van de Geijn 2008 ("Anatomy of high-performance matrix
// multiplication", Sec. 4): packed KC x NC blocks of B, MR x KC panels of A, an MR x NR register-tile micro-kernel.
// No include guard: included once per instruction set on purpose.

constexpr int NR = 2 * VL;  // micro-tile columns: two vectors
constexpr long KC = 256;    // depth of a packed block
constexpr long NC = 512;    // columns of a packed block of B (KC x NC floats: 512 KiB, inside L2)

static inline vf load(const float* p) {
  vf v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline void store(float* p, vf v) { __builtin_memcpy(p, &v, sizeof v); }

// c[MR x NR] (row stride ldc) = (accumulate ? c : 0) + a * b, a packed [kc][MR], b packed [kc][NR].
static void micro(long kc, const float* __restrict a, const float* __restrict b, float* __restrict c, long ldc,
                  bool accumulate) {
  vf acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    acc[r][0] = accumulate ? load(c + r * ldc) : vf{};
    acc[r][1] = accumulate ? load(c + r * ldc + VL) : vf{};
  }
  for (long k = 0; k < kc; k++) {
    const vf b0 = load(b + k * NR);
    const vf b1 = load(b + k * NR + VL);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const float s = a[k * MR + r];
      acc[r][0] += s * b0;
      acc[r][1] += s * b1;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    store(c + r * ldc, acc[r][0]);
    store(c + r * ldc + VL, acc[r][1]);
  }
}

// C (m x n, row-major, ldc = n) = A B, A(i, k) = a[i * rsa + k * csa], B(k, j) = b[k * rsb + j * csb].
static void gemm(long m, long n, long k, const float* a, long rsa, long csa, const float* b, long rsb, long csb,
                 float* c, Scratch& s) {
  if (k == 0) {
    for (long i = 0; i < m * n; i++) c[i] = 0;
    return;
  }
  float tile[MR * NR];
  for (long jc = 0; jc < n; jc += NC) {
    const long nc = n - jc < NC ? n - jc : NC;
    const long panels = (nc + NR - 1) / NR;
    for (long pc = 0; pc < k; pc += KC) {
      const long kc = k - pc < KC ? k - pc : KC;
      float* bp = s.b(panels * kc * NR);
      for (long p = 0; p < panels; p++) {  // B block as panels [kc][NR], zero past column n
        float* dst = bp + p * kc * NR;
        const long j0 = jc + p * NR;
        const long w = n - j0 < NR ? n - j0 : NR;
        for (long kk = 0; kk < kc; kk++) {
          const float* src = b + (pc + kk) * rsb + j0 * csb;
          float* row = dst + kk * NR;
          if (csb == 1)
            for (long j = 0; j < w; j++) row[j] = src[j];
          else
            for (long j = 0; j < w; j++) row[j] = src[j * csb];
          for (long j = w; j < NR; j++) row[j] = 0;
        }
      }
      float* ap = s.a(kc * MR);
      for (long ic = 0; ic < m; ic += MR) {
        const long mr = m - ic < MR ? m - ic : MR;
        for (long kk = 0; kk < kc; kk++) {  // A panel [kc][MR], zero past row m
          const float* src = a + ic * rsa + (pc + kk) * csa;
          float* col = ap + kk * MR;
          for (long r = 0; r < mr; r++) col[r] = src[r * rsa];
          for (long r = mr; r < MR; r++) col[r] = 0;
        }
        for (long p = 0; p < panels; p++) {
          const long j0 = jc + p * NR;
          const long w = n - j0 < NR ? n - j0 : NR;
          float* cij = c + ic * n + j0;
          if (mr == MR && w == NR) {
            micro(kc, ap, bp + p * kc * NR, cij, n, pc > 0);
          } else {  // an edge tile: through a full-size tile, only its valid part read and written
            if (pc > 0)
              for (long r = 0; r < mr; r++)
                for (long j = 0; j < w; j++) tile[r * NR + j] = cij[r * n + j];
            micro(kc, ap, bp + p * kc * NR, tile, NR, pc > 0);
            for (long r = 0; r < mr; r++)
              for (long j = 0; j < w; j++) cij[r * n + j] = tile[r * NR + j];
          }
        }
      }
    }
  }
}
