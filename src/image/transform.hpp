// image/transform.hpp — the geometry of CLIP's torchvision 0.14 transform, exposed
// for tests: Resize(n) on the shorter side and CenterCrop(n) offsets.
//
//   auto [w, h] = clip_resize_size(640, 427, 224);   // {335, 224}
//   int top = center_crop_offset(335, 224);           // 56 (round half to even)
#pragma once

#include <utility>

namespace clipkit::image {

// torchvision's rule for an int size: the shorter side becomes n, the longer
// int(n * long / short) (Python true division, truncated). Returns {width, height}.
std::pair<int, int> clip_resize_size(int width, int height, int n);

// torchvision's CenterCrop offset: int(round((size - n) / 2.0)), Python's round
// (half to even). Requires size >= n.
int center_crop_offset(int size, int n);

}  // namespace clipkit::image
