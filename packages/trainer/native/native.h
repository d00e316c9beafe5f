// Shared by the addon's sources (gemm.cc: the module entry and GEMM; noise.cc: keystream and ziggurat; heap-ops.cc:
// per-row norms and scaling, optimizer updates).
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace dpl {
// Throws a RangeError with code ERR_DPLEDGER_NATIVE; returns nullptr for the caller to return.
napi_value Throw(napi_env env, const char* msg);
// argv[0] as tfjs-wasm's heap (a plain ArrayBuffer: its bytes and length) and argv[1..count] as integers >= 0, exact
// in a double (byte offsets and sizes) into v; false when any is not.
bool HeapArgs(napi_env env, const napi_value* argv, size_t count, char** base, int64_t* length, int64_t* v);
// Whether `count` floats at byte `off` lie inside a heap of `len` bytes (off 4-aligned; no overflow on the way).
bool Inside(int64_t off, int64_t count, int64_t len);
// Sets exports[name] to a function running `fn`.
void Export(napi_env env, napi_value exports, const char* name, napi_callback fn);
// Adds chacha20, zigguratAccept and chachaLanes to the module's exports.
void RegisterNoise(napi_env env, napi_value exports);
// Adds rowSqNorms, scaleRows, sgdStep and momentumStep.
void RegisterHeapOps(napi_env env, napi_value exports);
}  // namespace dpl
