// The trainer's native addon, built by `npm install` (build.mjs): its entry, and a float32 GEMM for the wasm backend
// under Node (src/backends/native-gemm.ts). One gemm call computes a batched C = op(A) op(B) on tensors that live in
// tfjs-backend-wasm's heap (its ArrayBuffer, handed in with byte offsets). The AVX-512 or AVX2 kernel is picked at
// load from the CPU's flags; the `kernel` export says which ("none": the caller keeps tfjs's own matMul).
// Single-threaded: the trainer's shard workers give the parallelism. noise.cc adds the noise worker's functions.
#include <node_api.h>

#include "native.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

// Per-thread packing buffers (shard workers each load this addon), grown on demand, 64-byte aligned.
struct Scratch {
  float* pa = nullptr;
  long na = 0;
  float* pb = nullptr;
  long nb = 0;
  static float* grow(float*& p, long& have, long want) {
    if (want > have) {
      std::free(p);
      long bytes = ((want * 4 + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      have = p ? want : 0;
    }
    return p;
  }
  float* a(long n) { return grow(pa, na, n); }
  float* b(long n) { return grow(pb, nb, n); }
};
thread_local Scratch scratch;

using GemmFn = void (*)(long, long, long, const float*, long, long, const float*, long, long, float*, Scratch&);

#pragma GCC push_options
#pragma GCC target("avx512f,fma")
namespace avx512 {
typedef float vf __attribute__((vector_size(64)));
constexpr int VL = 16;
constexpr int MR = 8;
#include "gemm-kernel.h"
}  // namespace avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
typedef float vf __attribute__((vector_size(32)));
constexpr int VL = 8;
constexpr int MR = 6;
#include "gemm-kernel.h"
}  // namespace avx2
#pragma GCC pop_options

GemmFn pick(const char** name) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) {
    *name = "avx512";
    return avx512::gemm;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    *name = "avx2";
    return avx2::gemm;
  }
#endif
  *name = "none";
  return nullptr;
}

const char* kernelName = "none";
GemmFn kernelFn = pick(&kernelName);
thread_local GemmFn threadFn = nullptr;  // select(): this thread's override (tests run both instruction sets)
thread_local const char* threadName = nullptr;

using dpl::Throw;

// gemm(memory, aByte, bByte, cByte, batchA, batchB, m, n, k, transposeA, transposeB): A is [batchA, m, k] (or
// [batchA, k, m] transposed), B [batchB, k, n] (or [batchB, n, k]), C [max(batchA, batchB), m, n]; a batch of 1
// is broadcast. Every operand must lie inside `memory`; nothing is written when an argument is wrong.
napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 11) return Throw(env, "gemm takes 11 arguments");
  const GemmFn fn = threadFn != nullptr ? threadFn : kernelFn;
  if (fn == nullptr) return Throw(env, "no native GEMM kernel for this CPU");
  char* base;
  int64_t len, v[8];
  if (!dpl::HeapArgs(env, argv, 8, &base, &len, v))
    return Throw(env, "memory must be an ArrayBuffer, offsets and sizes integers >= 0");
  bool ta = false, tb = false;
  if (napi_get_value_bool(env, argv[9], &ta) != napi_ok || napi_get_value_bool(env, argv[10], &tb) != napi_ok)
    return Throw(env, "transposeA and transposeB must be booleans");
  const int64_t aOff = v[0], bOff = v[1], cOff = v[2], ba = v[3], bb = v[4], m = v[5], n = v[6], k = v[7];
  if (ba < 1 || bb < 1 || (ba != bb && ba != 1 && bb != 1)) return Throw(env, "batches must match or be 1");
  const int64_t batch = ba > bb ? ba : bb;
  // floats of each operand, with every product checked for overflow (a wrapped product could pass the bounds test)
  auto floats = [](int64_t x, int64_t y, int64_t z, int64_t* out) {
    int64_t xy;
    return !__builtin_mul_overflow(x, y, &xy) && !__builtin_mul_overflow(xy, z, out) && *out <= (INT64_MAX / 4);
  };
  int64_t fa, fb, fc;
  if (!floats(ba, m, k, &fa) || !floats(bb, k, n, &fb) || !floats(batch, m, n, &fc))
    return Throw(env, "operands too large");
  if (!dpl::Inside(aOff, fa, len) || !dpl::Inside(bOff, fb, len) || !dpl::Inside(cOff, fc, len))
    return Throw(env, "an operand lies outside the memory");
  for (int64_t i = 0; i < batch; i++) {
    const float* a = reinterpret_cast<const float*>(base + aOff) + (ba == 1 ? 0 : i * m * k);
    const float* b = reinterpret_cast<const float*>(base + bOff) + (bb == 1 ? 0 : i * k * n);
    float* c = reinterpret_cast<float*>(base + cOff) + i * m * n;
    // A(i, k) at a[i * rsa + k * csa]: [m, k] row-major, or [k, m] when transposed; B likewise
    fn(m, n, k, a, ta ? 1 : k, ta ? m : 1, b, tb ? 1 : n, tb ? k : 1, c, scratch);
  }
  return nullptr;
}

// select("avx512" | "avx2" | "auto"): the kernel this thread's gemm calls use; returns its name, throws where the
// CPU lacks the instruction set.
napi_value Select(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char want[16] = {0};
  size_t len = 0;
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], want, sizeof want, &len) != napi_ok)
    return Throw(env, "select takes one string");
  const std::string w(want, len);
  if (w == "auto") {
    threadFn = nullptr;
    threadName = nullptr;
  } else {
#if defined(__x86_64__) || defined(__i386__)
    if (w == "avx512" && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) {
      threadFn = avx512::gemm;
      threadName = "avx512";
    } else if (w == "avx2" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      threadFn = avx2::gemm;
      threadName = "avx2";
    } else
#endif
      return Throw(env, "this CPU cannot run that kernel");
  }
  napi_value out;
  napi_create_string_utf8(env, threadName != nullptr ? threadName : kernelName, NAPI_AUTO_LENGTH, &out);
  return out;
}

}  // namespace

namespace dpl {
napi_value Throw(napi_env env, const char* msg) {
  napi_throw_range_error(env, "ERR_DPLEDGER_NATIVE", msg);
  return nullptr;
}

bool HeapArgs(napi_env env, const napi_value* argv, size_t count, char** base, int64_t* length, int64_t* v) {
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

bool Inside(int64_t off, int64_t count, int64_t len) {
  return off % 4 == 0 && off <= len && count <= (len - off) / 4;
}

void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}
}  // namespace dpl

NAPI_MODULE_INIT() {
  dpl::Export(env, exports, "gemm", Gemm);
  dpl::Export(env, exports, "select", Select);
  napi_value name;
  napi_create_string_utf8(env, kernelName, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, exports, "kernel", name);
  dpl::RegisterNoise(env, exports);
  dpl::RegisterHeapOps(env, exports);
  return exports;
}
