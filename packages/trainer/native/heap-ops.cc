// Helpers on tfjs-backend-wasm's heap: per-row squared L2 norms (a dense layer's |a_i|^2 and |g_i|^2) and rows scaled
// by a per-row factor (the clipped g_i) for the per-example statistics (src/per-sample/heap-ops.ts), and the SGD and
// momentum updates of the optimizer (src/training/optimizer.ts). Plain C++ with no target-specific code, so every
// thread and machine of a run computes the same bits.
#include <node_api.h>

#include "native.h"

#include <cstdint>

namespace {

using dpl::Inside;

// The call's arguments: the heap and `count` integers (dpl::HeapArgs), then `reals` numbers.
bool heapArgs(napi_env env, napi_callback_info info, size_t count, char** base, int64_t* length, int64_t* v,
              size_t reals = 0, double* r = nullptr) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != count + reals + 1 || !dpl::HeapArgs(env, argv, count, base, length, v)) return false;
  for (size_t i = 0; i < reals; i++)
    if (napi_get_value_double(env, argv[1 + count + i], &r[i]) != napi_ok) return false;
  return true;
}

// Rows x cols floats, each product checked for overflow.
bool cells(int64_t rows, int64_t cols, int64_t* out) {
  return !__builtin_mul_overflow(rows, cols, out) && *out <= INT64_MAX / 4;
}

// Sixteen running sums per row (one per column modulo 16, vectorised by the compiler), added pairwise at the end:
// the same order on every machine.
void sqNorms(const float* x, float* out, int64_t rows, int64_t cols) {
  constexpr int L = 16;
  for (int64_t i = 0; i < rows; i++) {
    const float* r = x + i * cols;
    float acc[L] = {0};
    int64_t j = 0;
    for (; j + L <= cols; j += L)
      for (int l = 0; l < L; l++) acc[l] += r[j + l] * r[j + l];
    for (int l = 0; j < cols; j++, l++) acc[l] += r[j] * r[j];
    for (int w = L / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    out[i] = acc[0];
  }
}

// rowSqNorms(memory, xByte, outByte, rows, cols): out[i] = sum_j x[i, j]^2 for a row-major [rows, cols] float32 x.
// Both operands must lie inside memory; nothing is written otherwise.
napi_value RowSqNorms(napi_env env, napi_callback_info info) {
  char* base;
  int64_t len, v[4];
  if (!heapArgs(env, info, 4, &base, &len, v))
    return dpl::Throw(env, "rowSqNorms(memory: ArrayBuffer, xByte, outByte, rows, cols): integers >= 0");
  const int64_t xb = v[0], ob = v[1], rows = v[2], cols = v[3];
  int64_t n;
  if (!cells(rows, cols, &n) || !Inside(xb, n, len) || !Inside(ob, rows, len))
    return dpl::Throw(env, "rowSqNorms: an operand lies outside the memory");
  sqNorms(reinterpret_cast<const float*>(base + xb), reinterpret_cast<float*>(base + ob), rows, cols);
  return nullptr;
}

// scaleRows(memory, xByte, cByte, outByte, rows, cols): out[i, j] = x[i, j] * c[i], one float32 rounding, as tfjs's
// Multiply of x by c reshaped to [rows, 1]. out may be x itself; all three must lie inside memory.
napi_value ScaleRows(napi_env env, napi_callback_info info) {
  char* base;
  int64_t len, v[5];
  if (!heapArgs(env, info, 5, &base, &len, v))
    return dpl::Throw(env, "scaleRows(memory: ArrayBuffer, xByte, cByte, outByte, rows, cols): integers >= 0");
  const int64_t xb = v[0], cb = v[1], ob = v[2], rows = v[3], cols = v[4];
  int64_t n;
  if (!cells(rows, cols, &n) || !Inside(xb, n, len) || !Inside(cb, rows, len) || !Inside(ob, n, len))
    return dpl::Throw(env, "scaleRows: an operand lies outside the memory");
  const float* x = reinterpret_cast<const float*>(base + xb);
  const float* c = reinterpret_cast<const float*>(base + cb);
  float* out = reinterpret_cast<float*>(base + ob);
  for (int64_t i = 0; i < rows; i++) {
    const float f = c[i];
    for (int64_t j = 0; j < cols; j++) out[i * cols + j] = x[i * cols + j] * f;
  }
  return nullptr;
}

// The float ops of the optimizer's tensor ops, one rounding each and never contracted into an FMA: bit for bit
// w - g * lr (SGD), and v * mu + g then w - v * lr (heavy-ball momentum, as tf.train.momentum).
__attribute__((optimize("fp-contract=off"))) void step(const float* w, const float* g, const float* v, float* ow,
                                                        float* ov, int64_t n, float lr, float mu) {
  if (v == nullptr) {
    for (int64_t i = 0; i < n; i++) ow[i] = w[i] - g[i] * lr;
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    const float nv = v[i] * mu + g[i];
    ov[i] = nv;
    ow[i] = w[i] - nv * lr;
  }
}

// sgdStep(memory, wByte, gByte, outWByte, n, lr): outW = w - g * lr over n floats.
// momentumStep(memory, wByte, gByte, vByte, outWByte, outVByte, n, lr, mu): outV = v * mu + g, outW = w - outV * lr.
// Every operand must lie inside memory; nothing is written otherwise. lr and mu are read as float32, as tfjs does.
napi_value Update(napi_env env, napi_callback_info info, bool momentum) {
  const size_t ints = momentum ? 6 : 4;
  char* base;
  int64_t len, v[6];
  double r[2] = {0, 0};
  if (!heapArgs(env, info, ints, &base, &len, v, momentum ? 2 : 1, r))
    return dpl::Throw(env, momentum ? "momentumStep(memory, wByte, gByte, vByte, outWByte, outVByte, n, lr, mu)"
                                    : "sgdStep(memory, wByte, gByte, outWByte, n, lr)");
  const int64_t n = v[ints - 1];
  for (size_t i = 0; i + 1 < ints; i++)
    if (!Inside(v[i], n, len)) return dpl::Throw(env, "sgdStep/momentumStep: an operand lies outside the memory");
  auto at = [&](int64_t off) { return reinterpret_cast<float*>(base + off); };
  const float lr = static_cast<float>(r[0]), mu = static_cast<float>(r[1]);
  if (momentum)
    step(at(v[0]), at(v[1]), at(v[2]), at(v[3]), at(v[4]), n, lr, mu);
  else
    step(at(v[0]), at(v[1]), nullptr, at(v[2]), nullptr, n, lr, 0.0f);
  return nullptr;
}

napi_value SgdStep(napi_env env, napi_callback_info info) { return Update(env, info, false); }
napi_value MomentumStep(napi_env env, napi_callback_info info) { return Update(env, info, true); }

}  // namespace

namespace dpl {
void RegisterHeapOps(napi_env env, napi_value exports) {
  Export(env, exports, "rowSqNorms", RowSqNorms);
  Export(env, exports, "scaleRows", ScaleRows);
  Export(env, exports, "sgdStep", SgdStep);
  Export(env, exports, "momentumStep", MomentumStep);
}
}  // namespace dpl
