// Native parts of the trainer's Gaussian noise (src/training/native-noise.ts): the seeded run's ChaCha20 keystream
// and the ziggurat's fast accept step, each giving bit for bit what the TypeScript code gives.
#include <node_api.h>

#include <cstdint>
#include <cstring>

#include "native.h"

namespace {

#pragma GCC push_options
#pragma GCC target("avx512f")
namespace c512 {
typedef uint32_t vu __attribute__((vector_size(64)));
constexpr int L = 16;
#include "chacha-kernel.h"
}  // namespace c512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2")
namespace c256 {
typedef uint32_t vu __attribute__((vector_size(32)));
constexpr int L = 8;
#include "chacha-kernel.h"
}  // namespace c256
#pragma GCC pop_options

namespace c128 {  // the x86-64 baseline (SSE2), or any GCC target
typedef uint32_t vu __attribute__((vector_size(16)));
constexpr int L = 4;
#include "chacha-kernel.h"
}  // namespace c128

struct Chacha {
  int lanes;
  void (*fn)(const uint32_t*, uint64_t, uint32_t, uint32_t, uint32_t*);
};

Chacha pickChacha() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {c512::L, c512::blocks};
  if (__builtin_cpu_supports("avx2")) return {c256::L, c256::blocks};
#endif
  return {c128::L, c128::blocks};
}
const Chacha chacha = pickChacha();

bool typed(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  bool is = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &type, length, data, &ab, &offset) != napi_ok) return false;
  return type == want && (*data != nullptr || *length == 0);
}

bool number(napi_env env, napi_value v, double* out) {
  return napi_get_value_double(env, v, out) == napi_ok && *out == *out;
}

// chacha20(key: Uint32Array(8), stream: number, start: number, out: Uint32Array): keystream words [start, start +
// out.length) of nonce (stream, 0), as keystream.ts: word w is word w mod 16 of block floor(w / 16).
napi_value Chacha20(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void *kp, *op;
  size_t kn, on;
  double stream, start;
  if (argc != 4 || !typed(env, argv[0], napi_uint32_array, &kp, &kn) || kn != 8 || !number(env, argv[1], &stream) ||
      !number(env, argv[2], &start) || !typed(env, argv[3], napi_uint32_array, &op, &on))
    return dpl::Throw(env, "chacha20(key: Uint32Array(8), stream, start, out: Uint32Array)");
  if (!(stream >= 0 && stream <= 4294967295.0 && stream == static_cast<double>(static_cast<uint64_t>(stream))) ||
      !(start >= 0 && start <= 9007199254740991.0 && start == static_cast<double>(static_cast<uint64_t>(start))))
    return dpl::Throw(env, "stream must be a 32-bit and start a safe integer >= 0");
  const uint32_t* key = static_cast<const uint32_t*>(kp);
  uint32_t* out = static_cast<uint32_t*>(op);
  uint64_t pos = static_cast<uint64_t>(start);
  const uint32_t n0 = static_cast<uint32_t>(stream);
  uint32_t buf[16 * 16];
  size_t i = 0;
  while (i < on) {
    const uint64_t off = pos % 16;
    const uint64_t block = pos / 16;
    const size_t whole = (on - i) / 16;
    if (off == 0 && whole >= static_cast<size_t>(chacha.lanes)) {  // straight into out, L blocks at a time
      chacha.fn(key, block, n0, 0, out + i);
      i += 16 * chacha.lanes;
      pos += 16 * chacha.lanes;
    } else {  // a partial block, or fewer than L whole ones left: through buf
      chacha.fn(key, block, n0, 0, buf);
      const size_t avail = 16 * chacha.lanes - off;
      const size_t take = on - i < avail ? on - i : avail;
      std::memcpy(out + i, buf + off, take * 4);
      i += take;
      pos += take;
    }
  }
  return nullptr;
}

// zigguratAccept(words: Uint32Array, m, out: Float32Array | Float64Array, start, std, pending: Int32Array,
// xs, x: Float64Array(257)): acceptChunk of gaussian-noise.ts. For k < m, words 2k and 2k+1 give
// layer (bits 0-7 of the second), sign (bit 8) and a 53-bit uniform; a point inside its layer's inner rectangle is
// written to out[start + k] (Marsaglia & Tsang 2000), the others' k go to pending. Returns how many are pending.
// Every operation is the TypeScript one on doubles (the products are exact or single roundings, so contraction into
// FMA cannot change them), and the float32 store rounds to nearest as a Float32Array does.
napi_value ZigguratAccept(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void *wp, *op, *pp, *xsp, *xp;
  size_t wn, on, pn, xsn, xn;
  double m, start, std;
  bool f32 = false, f64 = false;
  if (argc == 8) {
    f32 = typed(env, argv[2], napi_float32_array, &op, &on);
    f64 = !f32 && typed(env, argv[2], napi_float64_array, &op, &on);
  }
  if (argc != 8 || !typed(env, argv[0], napi_uint32_array, &wp, &wn) || !number(env, argv[1], &m) || !(f32 || f64) ||
      !number(env, argv[3], &start) || !number(env, argv[4], &std) ||
      !typed(env, argv[5], napi_int32_array, &pp, &pn) || !typed(env, argv[6], napi_float64_array, &xsp, &xsn) ||
      !typed(env, argv[7], napi_float64_array, &xp, &xn))
    return dpl::Throw(env, "zigguratAccept(words, m, out, start, std, pending, xs, x): wrong argument types");
  if (!(m >= 0 && start >= 0 && m == static_cast<double>(static_cast<size_t>(m)) &&
        start == static_cast<double>(static_cast<size_t>(start))) ||
      xsn != 257 || xn != 257)
    return dpl::Throw(env, "zigguratAccept: m and start must be integers >= 0, both tables 257 long");
  const size_t mm = static_cast<size_t>(m), s0 = static_cast<size_t>(start);
  if (2 * mm > wn || mm > pn || s0 > on || mm > on - s0) return dpl::Throw(env, "zigguratAccept: arrays too short");
  const uint32_t* w = static_cast<const uint32_t*>(wp);
  int32_t* pending = static_cast<int32_t*>(pp);
  const double* XS = static_cast<const double*>(xsp);
  const double* X = static_cast<const double*>(xp);
  int32_t rejected = 0;
  for (size_t k = 0; k < mm; k++) {
    const uint32_t a = w[2 * k], b = w[2 * k + 1];
    const uint32_t layer = b & 255;
    const double x = (static_cast<double>(b >> 11) * 4294967296.0 + static_cast<double>(a)) * XS[layer];
    if (x < X[layer + 1]) {
      const double v = x * std * (1.0 - static_cast<double>((b >> 7) & 2));
      if (f32)
        static_cast<float*>(op)[s0 + k] = static_cast<float>(v);
      else
        static_cast<double*>(op)[s0 + k] = v;
    } else {
      pending[rejected++] = static_cast<int32_t>(k);
    }
  }
  napi_value out;
  napi_create_int32(env, rejected, &out);
  return out;
}

// The float ops of tfjs's Multiply and Add kernels, one rounding each: never contracted into an FMA, so the result is
// bit for bit tf.add(tf.mul(x, scale), zFactor === 1 ? z : tf.mul(z, zFactor)).
__attribute__((optimize("fp-contract=off"))) static void scaledNoise(const float* x, const float* z, float* out,
                                                                      size_t n, float scale, float zFactor,
                                                                      bool scaleZ) {
  for (size_t i = 0; i < n; i++) {
    const float t = x[i] * scale;
    const float u = scaleZ ? z[i] * zFactor : z[i];
    out[i] = t + u;
  }
}

// addNoise(memory, xByte, outByte, z: Float32Array, scale, zFactor): out = x * scale + z * zFactor for z.length
// floats of tfjs-wasm's heap (float32 ops, one rounding each; zFactor 1 skips its product, as the TypeScript does).
// Both operands must lie inside memory; nothing is written otherwise.
napi_value AddNoise(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void *mem = nullptr, *zp = nullptr;
  size_t len = 0, zn = 0;
  bool isAb = false;
  double xb, ob, scale, zf;
  if (argc != 6 || napi_is_arraybuffer(env, argv[0], &isAb) != napi_ok || !isAb ||
      napi_get_arraybuffer_info(env, argv[0], &mem, &len) != napi_ok || !number(env, argv[1], &xb) ||
      !number(env, argv[2], &ob) || !typed(env, argv[3], napi_float32_array, &zp, &zn) ||
      !number(env, argv[4], &scale) || !number(env, argv[5], &zf))
    return dpl::Throw(env, "addNoise(memory: ArrayBuffer, xByte, outByte, z: Float32Array, scale, zFactor)");
  const double bytes = 4.0 * static_cast<double>(zn);
  auto inside = [&](double off) {
    return off >= 0 && off == static_cast<double>(static_cast<size_t>(off)) && static_cast<size_t>(off) % 4 == 0 &&
           off + bytes <= static_cast<double>(len);
  };
  if (!inside(xb) || !inside(ob) || (zn > 0 && mem == nullptr))
    return dpl::Throw(env, "addNoise: an operand lies outside the memory");
  char* base = static_cast<char*>(mem);
  const float fz = static_cast<float>(zf);
  scaledNoise(reinterpret_cast<const float*>(base + static_cast<size_t>(xb)), static_cast<const float*>(zp),
              reinterpret_cast<float*>(base + static_cast<size_t>(ob)), zn, static_cast<float>(scale), fz, zf != 1.0);
  return nullptr;
}

}  // namespace

namespace dpl {
void RegisterNoise(napi_env env, napi_value exports) {
  Export(env, exports, "chacha20", Chacha20);
  Export(env, exports, "zigguratAccept", ZigguratAccept);
  Export(env, exports, "addNoise", AddNoise);
  napi_value lanes;
  napi_create_int32(env, chacha.lanes, &lanes);
  napi_set_named_property(env, exports, "chachaLanes", lanes);
}
}  // namespace dpl
