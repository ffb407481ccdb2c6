// The C API's image index: open, add, search, and the hits handle.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "clipkit/similarity.hpp"
#include "clipkit/utf8.hpp"

using namespace clipkit;
using namespace clipkit::capi;

namespace {

// A text or image query is only meaningful in the space of the model that made the
// vectors: check it as the CLI does (bind_model compares fingerprints and, where a model
// is recorded, writes nothing), once per model.
void require_indexing_model(const clipkit_index& index, const clipkit_model& model) {
  std::lock_guard lock(index.checked_mutex);
  if (index.checked_serial == model.serial) return;
  if (!index.index->stats().model) return;  // nothing indexed yet: nothing to compare
  index.index->bind_model(model.identity());
  index.checked_serial = model.serial;
}

void search(const clipkit_index* index, std::span<const float> query, size_t k, clipkit_hits** out_hits) {
  if (k == 0) throw Error(ErrorCode::invalid_argument, "k is 0");
  SearchOptions options;
  options.k = k;
  auto hits = std::make_unique<clipkit_hits>();
  hits->hits = index->index->search(normalized(query), options);
  hits->display.reserve(hits->hits.size());
  for (const SearchHit& hit : hits->hits)
    hits->display.push_back(invalid_utf8_offset(hit.path) ? utf8_for_display(hit.path) : std::string());
  *out_hits = hits.release();
}

}  // namespace

extern "C" {

clipkit_status clipkit_index_open(const char* db_path, int create, clipkit_index** out_index) {
  return guard("clipkit_index_open", [&] {
    require(db_path, "db_path");
    require(out_index, "out_index");
    auto index = std::make_unique<clipkit_index>();
    index->index = ImageIndex::open(db_path, create != 0);
    *out_index = index.release();
  });
}

void clipkit_index_free(clipkit_index* index) { delete index; }

clipkit_status clipkit_index_count(const clipkit_index* index, size_t* out_count) {
  return guard("clipkit_index_count", [&] {
    require(index, "index");
    require(out_count, "out_count");
    *out_count = index->index->stats().vectors;
  });
}

clipkit_status clipkit_index_add_paths(clipkit_index* index, const clipkit_model* model, const char* const* paths,
                                       size_t count, size_t* out_embedded, size_t* out_errors) {
  return guard("clipkit_index_add_paths", [&] {
    require(index, "index");
    require(model, "model");
    require(paths, "paths");
    if (count == 0) throw Error(ErrorCode::invalid_argument, "count is 0");
    std::vector<std::filesystem::path> roots;
    for (size_t i = 0; i < count; ++i) {
      require(paths[i], ("paths[" + std::to_string(i) + "]").c_str());
      roots.emplace_back(paths[i]);
    }
    IndexReport report;
    {
      std::lock_guard lock(index->checked_mutex);
      report = index->index->add(model->clip, roots);
      index->checked_serial = model->serial;  // add() has bound this model
    }
    if (out_embedded) *out_embedded = report.embedded;
    if (out_errors) *out_errors = report.errors;
  });
}

clipkit_status clipkit_index_search_text(const clipkit_index* index, const clipkit_model* model, const char* text,
                                         size_t k, clipkit_hits** out_hits) {
  return guard("clipkit_index_search_text", [&] {
    require(index, "index");
    require(model, "model");
    require(text, "text");
    require(out_hits, "out_hits");
    require_utf8(text, "text");
    require_indexing_model(*index, *model);
    search(index, model->clip.embed_text(text), k, out_hits);
  });
}

clipkit_status clipkit_index_search_image_file(const clipkit_index* index, const clipkit_model* model,
                                               const char* path, size_t k, clipkit_hits** out_hits) {
  return guard("clipkit_index_search_image_file", [&] {
    require(index, "index");
    require(model, "model");
    require(path, "path");
    require(out_hits, "out_hits");
    require_indexing_model(*index, *model);
    search(index, model->clip.embed_image_file(path), k, out_hits);
  });
}

clipkit_status clipkit_index_search_vector(const clipkit_index* index, const float* vector, size_t dim, size_t k,
                                           clipkit_hits** out_hits) {
  return guard("clipkit_index_search_vector", [&] {
    require(index, "index");
    require(vector, "vector");
    require(out_hits, "out_hits");
    search(index, std::span(vector, dim), k, out_hits);
  });
}

clipkit_status clipkit_hits_count(const clipkit_hits* hits, size_t* out_count) {
  return guard("clipkit_hits_count", [&] {
    require(hits, "hits");
    require(out_count, "out_count");
    *out_count = hits->hits.size();
  });
}

clipkit_status clipkit_hits_get(const clipkit_hits* hits, size_t i, clipkit_hit* out_hit) {
  return guard("clipkit_hits_get", [&] {
    require(hits, "hits");
    require(out_hit, "out_hit");
    if (i >= hits->hits.size())
      throw Error(ErrorCode::invalid_argument,
                  "hit " + std::to_string(i) + " of " + std::to_string(hits->hits.size()));
    const SearchHit& hit = hits->hits[i];
    const bool utf8 = hits->display[i].empty();
    *out_hit = clipkit_hit{hit.id, hit.score, hit.path.c_str(), hit.path.size(), utf8 ? 1 : 0,
                           utf8 ? hit.path.c_str() : hits->display[i].c_str()};
  });
}

void clipkit_hits_free(clipkit_hits* hits) { delete hits; }

}  // extern "C"
