// tools/common.hpp — what the clipkit subcommands share: model options, loading,
// JSON and number formatting. Uses only the public API.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "clipkit/utf8.hpp"

#include "clipkit/clipkit.hpp"
#include "clipkit/cluster.hpp"

namespace clipkit::tools {

struct ModelArgs {
  std::string model;       // file or folder; empty = $CLIPKIT_MODEL
  std::string text_model;  // a separate text tower (M-CLIP), or empty
  std::string vocab;
  std::string activation;  // "", quick_gelu, gelu
  int threads = 0;
  std::string precision = "fp32";
  bool no_exif = false;
  bool no_truncate = false;
  uint64_t max_pixels = 100'000'000;
};

// Adds --model/--vocab/--activation/--threads (and image options when images=true).
void add_model_options(CLI::App& app, ModelArgs& args, bool images);

// --model/--text-model given as a registry name (`clipkit pull --list`) rather than an
// existing path: pulled into the cache when missing (not when $CLIPKIT_OFFLINE is set),
// then replaced by the cached path; the entry's tokenizer becomes the default --vocab.
ModelArgs resolve_model_names(const ModelArgs& args);
// $CLIPKIT_REGISTRY, else the installed share/clipkit/models/registry.json, else the checkout's.
std::filesystem::path registry_path();
// pull() with a progress line per file on stderr.
PulledModel pull_with_progress(const RegistryEntry& entry, bool offline, bool quiet);

// --model, else $CLIPKIT_MODEL, else the embedded default (models/emoji-clip,
// clipkit::default_model_path).
std::filesystem::path resolve_model_path(const ModelArgs& args);
ClipOptions clip_options(const ModelArgs& args);
Clip load_clip(const ModelArgs& args);

// The model for an index: --model, else $CLIPKIT_MODEL, else the model the index
// records (with its vocabulary unless --vocab is given), else the embedded default.
// Checks it is the model that made the index's vectors. nullopt when there is none.
std::optional<Clip> load_clip_for_index(const ModelArgs& args, ImageIndex& index);

// CSV field: quoted when it holds a comma, quote or newline.
std::string csv_field(const std::string& text);
// TSV field: backslash, tab, newline and carriage return written as \\ \t \n \r, so
// one line stays one record and the exact bytes can be recovered; other bytes as they are.
std::string tsv_field(const std::string& text);

// Text in JSON must be UTF-8, but paths (and arguments) are bytes (clipkit/utf8.hpp).
// How every JSON output of the CLI carries a path: object[key] is the path, with
// invalid bytes shown as U+FFFD; object[key + "_b64"], present only when the path is not
// valid UTF-8, holds its exact bytes in base64.
void put_path(nlohmann::json& object, const std::string& key, const std::string& path);
// Throws Error(invalid_argument) "<what>: not valid UTF-8 (byte offset N is 0xXX)…"
// for a text argument that must be UTF-8 (texts are tokenized and echoed as JSON).
void require_utf8(const std::string& text, const std::string& what);
// JSON text of `value` (its strings already valid UTF-8 through the helpers above; any
// that is not is shown with U+FFFD rather than failing the command).
std::string json_text(const nlohmann::json& value);
// "%.4f"
std::string fixed(double value, int precision = 4);

// clipkit::model_info_json as a JSON value.
nlohmann::json model_json(const Model& model);
nlohmann::json floats_json(std::span<const float> values);

// "[0.0213, -0.0101, 0.0342, ..., 0.0045]" with `edge` values at each end.
std::string abbreviated(std::span<const float> values, int edge = 3, int precision = 4);

// Each subcommand registers itself on `app`; its callback writes stdout into `out`,
// which main prints only on success (a failure leaves stdout empty). Streaming
// commands (tokenize) write to std::cout directly.
void add_classify(CLI::App& app, std::ostream& out);
void add_embed(CLI::App& app, std::ostream& out);
void add_tokenize(CLI::App& app, std::ostream& out);
void add_preprocess(CLI::App& app, std::ostream& out);
void add_info(CLI::App& app, std::ostream& out);
void add_bench(CLI::App& app, std::ostream& out);
void add_index(CLI::App& app, std::ostream& out);
void add_search(CLI::App& app, std::ostream& out);
void add_dedupe(CLI::App& app, std::ostream& out);
void add_serve(CLI::App& app, std::ostream& out);
void add_pull(CLI::App& app, std::ostream& out);
void add_cluster(CLI::App& app, std::ostream& out);  // enqueue, worker, shard, cluster (tools/cluster.cpp)
// For clipkit search --nats (tools/cluster.cpp).
Clip load_clip_for_cluster(const ModelArgs& args, const std::string& nats);
void print_cluster_search(const cluster::ClusterSearch& found, bool json, std::ostream& out);

}  // namespace clipkit::tools
