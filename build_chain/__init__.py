"""build_chain: model export, numpy references and the C64 build (no Qt here)."""
