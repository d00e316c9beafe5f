// Row-wise helpers of the per-example statistics on tfjs-backend-wasm's heap (src/per-sample/heap-ops.ts): per-row
// squared L2 norms (a dense layer's |a_i|^2 and |g_i|^2) and rows scaled by a per-row factor (the clipped g_i).
// Plain C++ with no target-specific code, so every thread and machine of a run computes the same bits.
#include <node_api.h>

#include "native.h"

#include <cstdint>

namespace {

// The heap and `count` integer arguments after it (byte offsets and sizes, each >= 0 and exact in a double).
bool heapArgs(napi_env env, napi_callback_info info, size_t count, char** base, int64_t* length, int64_t* v) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != count + 1) return false;
  bool isAb = false;
  void* data = nullptr;
  size_t len = 0;
  if (napi_is_arraybuffer(env, argv[0], &isAb) != napi_ok || !isAb ||
      napi_get_arraybuffer_info(env, argv[0], &data, &len) != napi_ok || data == nullptr)
    return false;
  for (size_t i = 0; i < count; i++) {
    double d;
    if (napi_get_value_double(env, argv[1 + i], &d) != napi_ok || !(d >= 0 && d <= 9007199254740991.0) ||
        d != static_cast<double>(static_cast<int64_t>(d)))
      return false;
    v[i] = static_cast<int64_t>(d);
  }
  *base = static_cast<char*>(data);
  *length = static_cast<int64_t>(len);
  return true;
}

// Whether `count` floats at byte `off` lie inside a heap of `len` bytes (off 4-aligned; no overflow on the way).
bool inside(int64_t off, int64_t count, int64_t len) {
  return off % 4 == 0 && off <= len && count <= (len - off) / 4;
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
  if (!cells(rows, cols, &n) || !inside(xb, n, len) || !inside(ob, rows, len))
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
  if (!cells(rows, cols, &n) || !inside(xb, n, len) || !inside(cb, rows, len) || !inside(ob, n, len))
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

}  // namespace

namespace dpl {
void RegisterRows(napi_env env, napi_value exports) {
  Export(env, exports, "rowSqNorms", RowSqNorms);
  Export(env, exports, "scaleRows", ScaleRows);
}
}  // namespace dpl
