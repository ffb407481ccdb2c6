// kernels/dnnl_engine.hpp — the one oneDNN CPU engine the kernels share (internal to
// kernels/; no header outside this folder includes oneDNN).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace clipkit::kernels {

dnnl::engine& dnnl_engine();

}  // namespace clipkit::kernels
