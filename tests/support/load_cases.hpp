// tests/support/load_cases.hpp — a table of broken checkpoints for a family's loader:
// each case mutates the tensors of a good fixture and names the error the loader must
// give (code and words, and the file's path). Header-only: it needs io/ (internal), which
// only the model-layer tests link.
//
//   run_load_cases(file, "clip", {{"missing bn", [](Tensors& t) { t.erase("visual.bn1.bias"); },
//                                  ErrorCode::not_found, {"missing tensor 'visual.bn1.bias'"}}},
//                  [](io::Checkpoint&& ckpt) { load(std::move(ckpt)); });
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "io/checkpoint.hpp"

namespace clipkit::testing {

using Tensors = std::map<std::string, io::Tensor>;

struct LoadCase {
  std::string label;
  std::function<void(Tensors&)> mutate;
  ErrorCode code;
  std::vector<std::string> fragments;  // empty: the mutated checkpoint must load
};

inline io::Tensor zeros(std::vector<int64_t> shape) {
  io::Tensor t;
  t.shape = std::move(shape);
  t.data.assign(static_cast<size_t>(t.numel()), 0.0f);
  return t;
}

// Loads `path` afresh for each case (its family must be `family`), mutates it and calls
// `load`, which must throw clipkit::Error with the case's code and a message holding the
// file's path and every fragment, or, for a case without fragments, succeed.
inline void run_load_cases(const std::filesystem::path& path, const std::string& family,
                           const std::vector<LoadCase>& cases, const std::function<void(io::Checkpoint&&)>& load) {
  for (const LoadCase& c : cases) {
    io::Checkpoint ckpt = io::load_checkpoint(path);
    ASSERT_EQ(ckpt.family, family);
    const std::string file = ckpt.path.string();
    c.mutate(ckpt.tensors);
    if (c.fragments.empty()) {
      EXPECT_NO_THROW(load(std::move(ckpt))) << c.label;
      continue;
    }
    try {
      load(std::move(ckpt));
      ADD_FAILURE() << c.label << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), c.code) << c.label << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << c.label << ": " << e.what();
      for (const std::string& f : c.fragments)
        EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << c.label << ": '" << f << "' not in " << e.what();
    }
  }
}

}  // namespace clipkit::testing
