// What the C API's opaque handles hold. Only src/capi sees these definitions.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clipkit/clip.hpp"
#include "clipkit/clipkit.h"
#include "clipkit/index.hpp"

struct clipkit_model {
  explicit clipkit_model(clipkit::Clip loaded);

  clipkit::Clip clip;
  std::string info_json;  // made at load: clipkit_model_info_json hands out a pointer into it
  // Tells models apart for clipkit_index's check cache even when one is freed and
  // another is allocated at the same address.
  uint64_t serial;

  // The identity an index records (clipkit::identify embeds a probe text and image):
  // computed on the first search that needs it, once.
  const clipkit::ModelIdentity& identity() const;

 private:
  mutable std::once_flag identity_once_;
  mutable std::optional<clipkit::ModelIdentity> identity_;
};

struct clipkit_index {
  std::unique_ptr<clipkit::ImageIndex> index;
  // The last model found to be the one that made the index's vectors, by serial (0:
  // none): checking costs an embedding of the probes and a database read, so a
  // search checks a model once, not on every call.
  mutable std::mutex checked_mutex;
  mutable uint64_t checked_serial = 0;
};

struct clipkit_hits {
  std::vector<clipkit::SearchHit> hits;
  // Per hit: the path as valid UTF-8 where it is not already (else empty).
  std::vector<std::string> display;
};
