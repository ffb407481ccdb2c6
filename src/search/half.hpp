// search/half.hpp — IEEE 754 binary16 <-> binary32, round-to-nearest-even: how fp16
// vectors are stored. Pure functions, thread-safe.
#pragma once

#include <cstdint>

namespace clipkit::search {

uint16_t float_to_half(float value);
float half_to_float(uint16_t bits);

}  // namespace clipkit::search
