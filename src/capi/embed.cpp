// The C API's embeddings, tokens and label scores: argument checks, then the Clip calls,
// then a copy into the caller's buffer.
#include <algorithm>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "clipkit/similarity.hpp"

using namespace clipkit;
using namespace clipkit::capi;

namespace {

// Checks the model, the count and the output buffer before anything is computed, so
// that a short buffer costs nothing.
size_t check_output(const clipkit_model* model, size_t count, const float* out, size_t out_count) {
  require(model, "model");
  require(out, "out");
  if (count == 0) throw Error(ErrorCode::invalid_argument, "count is 0");
  const size_t needed = checked_product(count, static_cast<size_t>(model->clip.model().embed_dim()), "count × dim");
  require_capacity(out_count, needed, "out", "floats");
  return needed;
}

void write(std::vector<float>& embeddings, const clipkit_model* model, int normalize, float* out) {
  if (normalize) normalize_rows(embeddings, static_cast<size_t>(model->clip.model().embed_dim()));
  std::copy(embeddings.begin(), embeddings.end(), out);
}

std::vector<std::string> texts_of(const char* const* texts, size_t count) {
  require(texts, "texts");
  if (count == 0) throw Error(ErrorCode::invalid_argument, "count is 0");
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = "texts[" + std::to_string(i) + "]";
    require(texts[i], name.c_str());
    require_utf8(texts[i], name);
    out.emplace_back(texts[i]);
  }
  return out;
}

}  // namespace

extern "C" {

clipkit_status clipkit_embed_image_files(const clipkit_model* model, const char* const* paths, size_t count,
                                         int normalize, float* out, size_t out_count) {
  return guard("clipkit_embed_image_files", [&] {
    check_output(model, count, out, out_count);
    require(paths, "paths");
    std::vector<std::filesystem::path> files;
    files.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      require(paths[i], ("paths[" + std::to_string(i) + "]").c_str());
      files.emplace_back(paths[i]);
    }
    auto embeddings = model->clip.embed_image_files(files);
    write(embeddings, model, normalize, out);
  });
}

clipkit_status clipkit_embed_image_bytes(const clipkit_model* model, const uint8_t* bytes, size_t size,
                                         int normalize, float* out, size_t out_count) {
  return guard("clipkit_embed_image_bytes", [&] {
    check_output(model, 1, out, out_count);
    require(bytes, "bytes");
    const Image image = decode_image_memory(std::span(bytes, size), "image bytes", model->clip.options().decode);
    auto embedding = model->clip.embed_image(image);
    write(embedding, model, normalize, out);
  });
}

clipkit_status clipkit_embed_image_rgb(const clipkit_model* model, const uint8_t* pixels, size_t size,
                                       int32_t width, int32_t height, int normalize, float* out,
                                       size_t out_count) {
  return guard("clipkit_embed_image_rgb", [&] {
    check_output(model, 1, out, out_count);
    require(pixels, "pixels");
    if (width <= 0 || height <= 0)
      throw Error(ErrorCode::invalid_argument,
                  "image of " + std::to_string(width) + " × " + std::to_string(height) + " pixels");
    const size_t needed =
        checked_product(checked_product(static_cast<size_t>(width), static_cast<size_t>(height), "width × height"), 3,
                        "width × height × 3");
    if (size != needed)
      throw Error(ErrorCode::invalid_argument, "size is " + std::to_string(size) + " bytes; an RGB image of " +
                                                   std::to_string(width) + " × " + std::to_string(height) +
                                                   " pixels has " + std::to_string(needed));
    Image image;
    image.width = width;
    image.height = height;
    image.mode = PixelMode::rgb;
    image.pixels.assign(pixels, pixels + size);
    auto embedding = model->clip.embed_image(image);
    write(embedding, model, normalize, out);
  });
}

clipkit_status clipkit_embed_texts(const clipkit_model* model, const char* const* texts, size_t count,
                                   int normalize, float* out, size_t out_count) {
  return guard("clipkit_embed_texts", [&] {
    check_output(model, count, out, out_count);
    auto embeddings = model->clip.embed_texts(texts_of(texts, count));
    write(embeddings, model, normalize, out);
  });
}

clipkit_status clipkit_tokenize(const clipkit_model* model, const char* const* texts, size_t count, int32_t* out,
                                size_t out_count) {
  return guard("clipkit_tokenize", [&] {
    require(model, "model");
    require(out, "out");
    if (count == 0) throw Error(ErrorCode::invalid_argument, "count is 0");
    const size_t needed =
        checked_product(count, static_cast<size_t>(model->clip.model().context_length()), "count × context_length");
    require_capacity(out_count, needed, "out", "ids");
    const std::vector<int32_t> rows = model->clip.tokenize(texts_of(texts, count));
    std::copy(rows.begin(), rows.end(), out);
  });
}

clipkit_status clipkit_label_probs(const clipkit_model* model, const float* images, size_t image_count,
                                   const float* texts, size_t text_count, float* out, size_t out_count) {
  return guard("clipkit_label_probs", [&] {
    require(model, "model");
    require(images, "images");
    require(texts, "texts");
    require(out, "out");
    if (image_count == 0 || text_count == 0)
      throw Error(ErrorCode::invalid_argument, "image_count is " + std::to_string(image_count) + ", text_count " +
                                                   std::to_string(text_count) + ": both must be positive");
    require_capacity(out_count, checked_product(image_count, text_count, "image_count × text_count"), "out", "floats");
    const Model& m = model->clip.model();
    const size_t dim = static_cast<size_t>(m.embed_dim());
    const std::span<const float> text_rows(texts, checked_product(text_count, dim, "text_count × dim"));
    checked_product(image_count, dim, "image_count × dim");
    // All rows first, then the copy: a zero vector in the last image leaves out untouched.
    std::vector<float> scores;
    scores.reserve(image_count * text_count);
    for (size_t i = 0; i < image_count; ++i) {
      const auto row = label_scores(std::span(images + i * dim, dim), text_rows, m);
      scores.insert(scores.end(), row.begin(), row.end());
    }
    std::copy(scores.begin(), scores.end(), out);
  });
}

}  // extern "C"
