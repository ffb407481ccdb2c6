#include "kernels/dnnl_engine.hpp"

#include <memory>

namespace clipkit::kernels {

dnnl::engine& dnnl_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

uint8_t* thread_scratchpad(size_t bytes) {
  thread_local std::unique_ptr<uint8_t[]> buffer;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    buffer.reset();  // free first: the old and the new buffer need not coexist
    buffer.reset(new uint8_t[bytes]);
    capacity = bytes;
  }
  return buffer.get();
}

}  // namespace clipkit::kernels
