#include "model/patches.hpp"

#include <algorithm>

#include "core/parallel.hpp"

namespace clipkit::model {

std::vector<float> unfold_patches(const float* pixels, size_t count, size_t resolution, size_t patch) {
  const size_t res = resolution, grid = res / patch, patch_len = 3 * patch * patch;
  std::vector<float> patches(count * grid * grid * patch_len);
  // One task per row of patches: each copies `patch` contiguous pixels at a time.
  core::parallel_for(count * grid, [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) {
      const size_t n = t / grid, gy = t % grid;
      const float* image = pixels + n * 3 * res * res;
      for (size_t gx = 0; gx < grid; ++gx) {
        float* dst = patches.data() + ((n * grid + gy) * grid + gx) * patch_len;
        for (size_t ch = 0; ch < 3; ++ch)
          for (size_t py = 0; py < patch; ++py) {
            const float* src = image + (ch * res + gy * patch + py) * res + gx * patch;
            std::copy(src, src + patch, dst + (ch * patch + py) * patch);
          }
      }
    }
  });
  return patches;
}

}  // namespace clipkit::model
