{
  "targets": [
    {
      "target_name": "dpledger_native",
      "sources": ["gemm.cc", "noise.cc", "heap-ops.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=fast"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
