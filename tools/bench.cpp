// clipkit bench — ms per image and per text on this machine (median after warm-up).
// Without --model it builds a random-weight model with OpenAI ViT-B/32's dimensions
// in memory, so it needs no file. CLIP text rows stop at EOT, so they are timed at a
// short and a full length; a SigLIP text tower always runs its whole context (no mask,
// pooled at the last position), so SigLIP text is timed at the context length only.
// --check DIR prints the embeddings of DIR/image.f32 and DIR/tokens.i64 instead (raw
// little-endian rows, as bench/make_siglip_b16.py writes them) for peer comparisons.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "common.hpp"

namespace clipkit::tools {

namespace {

std::string cpu_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

struct Timing {
  double median_ms, min_ms, max_ms;
};

template <class F>
Timing time_it(F&& body, int warmup, int iterations, size_t items) {
  for (int i = 0; i < warmup; ++i) body();
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                 static_cast<double>(items));
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

template <class T>
std::vector<T> read_rows(const std::filesystem::path& path, size_t row) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::not_found, path.string() + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.empty() || bytes.size() % (row * sizeof(T)) != 0)
    throw Error(ErrorCode::invalid_argument, path.string() + ": " + std::to_string(bytes.size()) +
                                                 " bytes is not a whole number of rows of " +
                                                 std::to_string(row * sizeof(T)) + " bytes");
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

nlohmann::json timing_json(const Timing& t) {
  return {{"median_ms", t.median_ms}, {"min_ms", t.min_ms}, {"max_ms", t.max_ms}};
}

}  // namespace

// A token row of `length` tokens laid out as the model's tokenizer lays a text out, so
// the timing covers what a real query costs (towers that cut padding run `length`
// positions; SigLIP runs every position whatever the length).
std::vector<int32_t> bench_row(const Model& model, int length, size_t ctx) {
  const TokenizerSpec& t = model.info().tokenizer;
  auto layout = [&](int32_t first, int32_t last, int32_t pad) {
    std::vector<int32_t> row(ctx, pad);
    row[0] = first;
    for (int i = 1; i < length - 1; ++i) row[static_cast<size_t>(i)] = 320 + i;
    row[static_cast<size_t>(length - 1)] = last;
    return row;
  };
  if (model.info().family == "siglip") {
    // SigLIP v1: ids, EOS (1), padded with 1.
    std::vector<int32_t> row(ctx, 1);
    for (int i = 0; i < length - 1; ++i) row[static_cast<size_t>(i)] = 320 + i;
    return row;
  }
  if (t.kind == "sentencepiece" && t.conventions == "xlm_roberta") return layout(0, 2, 1);  // <s> … </s>, pad 1
  if (t.kind == "wordpiece") return layout(101, 102, 0);  // [CLS] … [SEP] (BERT's ids), pad 0
  // CLIP: SOT, ids, EOT (the two largest ids), zero padding.
  const int32_t eot = model.config().vocab_size - 1;
  return layout(eot - 1, eot, 0);
}

void add_bench(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    int batch = 1;
    int iterations = 10;
    int warmup = 2;
    std::vector<int> text_lengths = {7, 77};
    std::string check_dir;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("bench", "time image and text embeddings (random ViT-B/32 without --model)");
  sub->add_option("-m,--model", args->model.model, "a checkpoint (default: random weights, ViT-B/32 dimensions)");
  sub->add_option("--activation", args->model.activation, "override the activation")
      ->check(CLI::IsMember({"quick_gelu", "gelu"}));
  sub->add_option("--threads", args->model.threads, "compute threads (default: all cores)")->check(CLI::Range(0, 1024));
  sub->add_option("--precision", args->model.precision, "fp32, bf16 or int8")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}))
      ->capture_default_str();
  sub->add_option("--batch", args->batch, "items per call")->check(CLI::Range(1, 4096))->capture_default_str();
  sub->add_option("--iterations", args->iterations, "timed calls")->check(CLI::Range(1, 100000))->capture_default_str();
  sub->add_option("--warmup", args->warmup, "untimed calls first")->check(CLI::Range(0, 1000))->capture_default_str();
  CLI::Option* text_tokens =
      sub->add_option("--text-tokens", args->text_lengths,
                      "text lengths in tokens incl. SOT/EOT (repeat; default 7 and 77, SigLIP: the context)")
          ->check(CLI::Range(2, 4096));
  sub->add_option("--check", args->check_dir,
                  "print the embeddings of DIR/image.f32 (n×3×R×R float32) and DIR/tokens.i64 (m×context int64) "
                  "as JSON instead of timing");
  sub->add_flag("--json", args->json, "print JSON");
  sub->callback([args, text_tokens, &out] {
    const ModelArgs resolved = resolve_model_names(args->model);
    ModelOptions options = clip_options(resolved).model;
    auto model = resolved.model.empty() ? Model::random(ModelConfig::vit_b_32(), 1, options)
                                        : Model::load(resolved.model, options);
    const size_t batch = static_cast<size_t>(args->batch);
    const size_t per_image = 3 * static_cast<size_t>(model->image_size()) * model->image_size();
    const size_t ctx = static_cast<size_t>(model->context_length());
    const bool siglip = model->info().family == "siglip";
    if (!args->check_dir.empty()) {
      const std::filesystem::path dir = args->check_dir;
      const std::vector<float> images = read_rows<float>(dir / "image.f32", per_image);
      const std::vector<int64_t> ids = read_rows<int64_t>(dir / "tokens.i64", ctx);
      const std::vector<int32_t> tokens(ids.begin(), ids.end());
      out << nlohmann::json{{"image", model->encode_images(images, images.size() / per_image)},
                            {"text", model->encode_tokens(tokens, tokens.size() / ctx)}}
                 .dump()
          << "\n";
      return;
    }
    std::vector<int> text_lengths = args->text_lengths;
    if (siglip && text_tokens->count() == 0) text_lengths = {static_cast<int>(ctx)};
    if (text_tokens->count() == 0)  // the defaults (7 and 77 tokens), within the model's context
      for (int& length : text_lengths) length = std::min(length, static_cast<int>(ctx));
    for (int length : text_lengths)
      if (static_cast<size_t>(length) > ctx)
        throw Error(ErrorCode::invalid_argument, "--text-tokens " + std::to_string(length) +
                                                     " is longer than the model's context of " + std::to_string(ctx));
    std::vector<float> pixels(batch * per_image);
    std::mt19937 rng(3);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (auto& p : pixels) p = dist(rng);

    nlohmann::json j = {{"cpu", cpu_name()},
                        {"hardware_threads", std::thread::hardware_concurrency()},
                        {"threads", model->threads()},
                        {"batch", batch},
                        {"precision", to_string(model->info().precision)},
                        {"backend", compute_backend()},
                        {"model", model_json(*model)}};
    const Timing image = time_it([&] { (void)model->encode_images(pixels, batch); }, args->warmup, args->iterations, batch);
    j["image_ms"] = image.median_ms;
    j["image"] = timing_json(image);
    for (int length : text_lengths) {
      const std::vector<int32_t> row = bench_row(*model, length, ctx);
      std::vector<int32_t> tokens;
      for (size_t b = 0; b < batch; ++b) tokens.insert(tokens.end(), row.begin(), row.end());
      const Timing text = time_it([&] { (void)model->encode_tokens(tokens, batch); }, args->warmup, args->iterations, batch);
      j["text_" + std::to_string(length) + "_ms"] = text.median_ms;
      j["text_" + std::to_string(length)] = timing_json(text);
      if (length == text_lengths.front()) j["text_ms"] = text.median_ms;
    }
    if (args->json) {
      out << j.dump() << "\n";
      return;
    }
    out << "cpu: " << j["cpu"].get<std::string>() << ", threads " << model->threads() << ", batch " << batch
        << ", " << j["precision"].get<std::string>() << " (" << j["backend"].get<std::string>() << ")\n";
    char buf[128];
    std::snprintf(buf, sizeof buf, "image: %.2f ms per image (min %.2f, max %.2f)\n", image.median_ms, image.min_ms,
                  image.max_ms);
    out << buf;
    for (int length : text_lengths) {
      std::snprintf(buf, sizeof buf, "text %2d tokens: %.2f ms per text\n", length,
                    j["text_" + std::to_string(length) + "_ms"].get<double>());
      out << buf;
    }
  });
}

}  // namespace clipkit::tools
