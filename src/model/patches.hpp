// model/patches.hpp — unfolds images into patch rows for the patch-embedding GEMM.
//
// A vision tower's patch conv (kernel = stride = patch, no padding) is a GEMM over
// these rows: CLIP (model/towers.cpp) and SigLIP (model/siglip/towers.cpp) both call it.
//
//   std::vector<float> rows = unfold_patches(pixels, count, 224, 16);  // count·196 × 768
//   patch_embed.forward(rows.data(), count * 196, embedded.data());
#pragma once

#include <cstddef>
#include <vector>

namespace clipkit::model {

// pixels: count × 3 × resolution × resolution (CHW, row-major). grid = resolution / patch
// (pixels past grid·patch are not read). Returns count·grid·grid rows of 3·patch·patch
// floats, image by image, patches in raster order, each row CHW like the conv weight.
// Split across the worker threads; pure, so any thread may call it.
std::vector<float> unfold_patches(const float* pixels, size_t count, size_t resolution, size_t patch);

}  // namespace clipkit::model
