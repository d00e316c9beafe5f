{
  "targets": [
    {
      "target_name": "dpledger_native",
      "sources": ["gemm.cc", "noise.cc", "rows.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=fast"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
