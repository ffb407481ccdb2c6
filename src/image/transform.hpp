// image/transform.hpp — the geometry of the preprocessing transforms, exposed for
// tests: torchvision 0.14's Resize(n) on the shorter side and CenterCrop(n) offsets,
// open_clip's ResizeKeepRatio(longest=1), transformers' center_crop offsets.
//
//   auto [w, h] = clip_resize_size(640, 427, 224);   // {335, 224}
//   int top = center_crop_offset(335, 224);           // 56 (round half to even)
//   auto [lw, lh] = longest_resize_size(640, 427, 224);  // {224, 149}
#pragma once

#include <utility>

namespace clipkit::image {

// torchvision's rule for an int size: the shorter side becomes n, the longer
// int(n * long / short) (Python true division, truncated). Returns {width, height}.
// transformers' get_resize_output_image_size (default_to_square=False) is the same rule.
std::pair<int, int> clip_resize_size(int width, int height, int n);

// torchvision's CenterCrop offset: int(round((size - n) / 2.0)), Python's round
// (half to even). Requires size >= n.
int center_crop_offset(int size, int n);

// transformers' image_transforms.center_crop offset: (size - n) // 2. Requires size >= n.
int hf_center_crop_offset(int size, int n);

// open_clip ResizeKeepRatio(n, longest=1).get_params: ratio = max(h / n, w / n), each
// side round(side / ratio) with Python's round (half to even). Returns {width, height};
// a side may be 0 (Pillow then refuses the resize).
std::pair<int, int> longest_resize_size(int width, int height, int n);

}  // namespace clipkit::image
