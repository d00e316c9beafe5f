// Shared by the addon's sources (gemm.cc: the module entry and GEMM; noise.cc: keystream and ziggurat; heap-ops.cc:
// per-row norms and scaling, optimizer updates).
#pragma once
#include <node_api.h>

namespace dpl {
// Throws a RangeError with code ERR_DPLEDGER_NATIVE; returns nullptr for the caller to return.
napi_value Throw(napi_env env, const char* msg);
// Sets exports[name] to a function running `fn`.
void Export(napi_env env, napi_value exports, const char* name, napi_callback fn);
// Adds chacha20, zigguratAccept and chachaLanes to the module's exports.
void RegisterNoise(napi_env env, napi_value exports);
// Adds rowSqNorms, scaleRows, sgdStep and momentumStep.
void RegisterHeapOps(napi_env env, napi_value exports);
}  // namespace dpl
