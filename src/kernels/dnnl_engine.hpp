// kernels/dnnl_engine.hpp — the one oneDNN CPU engine the kernels share (internal to
// kernels/; no header outside this folder includes oneDNN).
#pragma once

#include <cstddef>
#include <cstdint>

#include <oneapi/dnnl/dnnl.hpp>

namespace clipkit::kernels {

dnnl::engine& dnnl_engine();

// This thread's scratchpad for one primitive call (oneDNN's user-mode scratchpad): at
// least `bytes`, not zeroed, reused by the thread's next call (it grows, and is freed when
// the thread ends). Fresh buffers per call cost a page fault per 4 KiB, about 5 % of a
// ResNet-50 forward pass.
uint8_t* thread_scratchpad(size_t bytes);

}  // namespace clipkit::kernels
