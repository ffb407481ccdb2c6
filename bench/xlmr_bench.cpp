// xlmr_bench — clipkit's side of bench/xlmr_compare: ms per query of an open_clip
// XLM-RoBERTa CLIP's text tower (Model::encode_tokens), as bench/ort_xlmr.mjs times ONNX
// Runtime. `clipkit bench` times CLIP-style rows (SOT … EOT, zero padding); XLM-R rows are
// <s> … </s> padded with <pad> = 1, so this program lays them out itself.
//
//   build/bench/xlmr_bench --model DIR [--threads 2] [--batch 1] [--iterations 7] [--warmup 2]
//                          [--tokens 8] [--tokens 77] [--precision fp32]
//   build/bench/xlmr_bench --model DIR --check DIR/check     (embeddings of DIR/check/tokens.i64)
//
// Every row is 77 ids wide (open_clip's context): <s> (0), length − 2 ordinary ids, </s> (2),
// then <pad> (1) to 77. clipkit runs only each row's real tokens (pads are cut, exact).
// Prints one JSON object: text_<length>_ms (median ms per query over --iterations calls of
// --batch rows after --warmup calls) and text_<length> {median_ms, min_ms, max_ms}.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipkit/model.hpp"

namespace {

constexpr int kBos = 0, kPad = 1, kEos = 2;

struct Timing {
  double median_ms, min_ms, max_ms;
};

template <class F>
Timing time_it(F&& body, int warmup, int iterations, size_t items) {
  for (int i = 0; i < warmup; ++i) body();
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                 static_cast<double>(items));
  }
  std::sort(ms.begin(), ms.end());
  const size_t mid = ms.size() / 2;
  const double median = ms.size() % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;  // as ort_common.mjs
  return {median, ms.front(), ms.back()};
}

int usage() {
  std::cerr << "usage: xlmr_bench --model DIR [--threads N] [--batch N] [--iterations N] [--warmup N] "
               "[--tokens N]... [--precision fp32|bf16|int8] [--check DIR]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string model_dir, check_dir;
  clipkit::ModelOptions options;
  int batch = 1, iterations = 7, warmup = 2;
  std::vector<int> lengths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (a == "--model") model_dir = v;
    else if (a == "--check") check_dir = v;
    else if (a == "--threads") options.threads = std::stoi(v);
    else if (a == "--batch") batch = std::stoi(v);
    else if (a == "--iterations") iterations = std::stoi(v);
    else if (a == "--warmup") warmup = std::stoi(v);
    else if (a == "--tokens") lengths.push_back(std::stoi(v));
    else if (a == "--precision") options.precision = clipkit::parse_precision(v);
    else return usage();
  }
  if (model_dir.empty() || batch < 1 || iterations < 1 || warmup < 0) return usage();
  if (lengths.empty()) lengths = {8};

  auto model = clipkit::Model::load(model_dir, options);
  const size_t ctx = static_cast<size_t>(model->context_length());
  if (!check_dir.empty()) {
    std::ifstream f(check_dir + "/tokens.i64", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.empty() || bytes.size() % (ctx * 8) != 0) throw std::runtime_error(check_dir + "/tokens.i64: bad size");
    std::vector<int64_t> ids(bytes.size() / 8);
    std::memcpy(ids.data(), bytes.data(), bytes.size());
    const std::vector<int32_t> tokens(ids.begin(), ids.end());
    std::cout << nlohmann::json{{"text", model->encode_tokens(tokens, tokens.size() / ctx)}}.dump() << "\n";
    return 0;
  }

  const int vocab = model->config().vocab_size;
  nlohmann::json j = {{"threads", model->threads()},
                      {"batch", batch},
                      {"precision", clipkit::to_string(model->info().precision)},
                      {"backend", clipkit::compute_backend()},
                      {"context", ctx},
                      {"vocab", vocab}};
  for (int length : lengths) {
    if (length < 2 || static_cast<size_t>(length) > ctx) throw std::runtime_error("--tokens out of range");
    std::vector<int32_t> tokens;
    for (int b = 0; b < batch; ++b) {
      std::vector<int32_t> row(ctx, kPad);
      row[0] = kBos;
      // Ordinary ids, different per row (values do not change the timing).
      for (int i = 1; i < length - 1; ++i) row[static_cast<size_t>(i)] = 5 + (b * 131 + i * 977) % (vocab - 6);
      row[static_cast<size_t>(length - 1)] = kEos;
      tokens.insert(tokens.end(), row.begin(), row.end());
    }
    const Timing t = time_it([&] { (void)model->encode_tokens(tokens, static_cast<size_t>(batch)); }, warmup,
                             iterations, static_cast<size_t>(batch));
    j["text_" + std::to_string(length) + "_ms"] = t.median_ms;
    j["text_" + std::to_string(length)] = {{"median_ms", t.median_ms}, {"min_ms", t.min_ms}, {"max_ms", t.max_ms}};
  }
  std::cout << j.dump() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "xlmr_bench: " << e.what() << "\n";
  return 1;
}
