// The embedded default model (models/emoji-clip, trained by scripts/train-default-model):
// export parity with PyTorch, and quality on the held-out emoji measured by this engine.
//
// tests/data/emoji-eval/ holds the held-out emoji (never seen in training, by image or
// by text) rendered at the model's resolution, their CLDR names per language, and
// PyTorch's embeddings for a few images and texts. The quality test prints the table
// that docs/models.md reports; floors sit a little below the measured values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::read_json;
using testing::source_dir;

// $CLIPKIT_EMOJI_MODEL / $CLIPKIT_EMOJI_EVAL point the tests at a freshly trained
// model and its evaluation set before they replace the committed ones.
fs::path from_env_or(const char* name, const fs::path& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? fs::path(value) : fallback;
}
fs::path model_dir() { return from_env_or("CLIPKIT_EMOJI_MODEL", source_dir() / "models" / "emoji-clip"); }
fs::path eval_dir() { return from_env_or("CLIPKIT_EMOJI_EVAL", source_dir() / "tests" / "data" / "emoji-eval"); }

struct Recall {
  double at1 = 0, at5 = 0, at10 = 0;
};

// Row-normalized copy of an n × dim matrix.
std::vector<float> unit_rows(std::vector<float> m, size_t dim) {
  normalize_rows(m, dim);
  return m;
}

// For each query row q (n_q × dim) and candidate rows (n_c × dim): recall@k, where
// relevant[q] lists the candidates that count as a hit for query q.
Recall recall_at(const std::vector<float>& queries, const std::vector<float>& candidates,
                 size_t dim, const std::vector<std::set<size_t>>& relevant) {
  const size_t n_q = queries.size() / dim, n_c = candidates.size() / dim;
  Recall r;
  std::vector<std::pair<float, size_t>> scored(n_c);
  for (size_t q = 0; q < n_q; ++q) {
    for (size_t c = 0; c < n_c; ++c) {
      float s = 0;
      for (size_t d = 0; d < dim; ++d) s += queries[q * dim + d] * candidates[c * dim + d];
      scored[c] = {-s, c};  // ties: lower index first, so a result cannot depend on sort order
    }
    std::sort(scored.begin(), scored.end());
    size_t first_hit = n_c;
    for (size_t rank = 0; rank < n_c; ++rank) {
      if (relevant[q].count(scored[rank].second)) {
        first_hit = rank;
        break;
      }
    }
    r.at1 += first_hit < 1;
    r.at5 += first_hit < 5;
    r.at10 += first_hit < 10;
  }
  r.at1 /= n_q;
  r.at5 /= n_q;
  r.at10 /= n_q;
  return r;
}

// Zero-shot accuracy, overall and per key (group, background, category).
struct Tally {
  std::map<std::string, std::pair<int, int>> per_key;  // correct, total
  int correct = 0, total = 0;

  void add(const std::string& key, bool ok) {
    correct += ok;
    ++total;
    per_key[key].first += ok;
    per_key[key].second += 1;
  }
  double accuracy() const { return total ? static_cast<double>(correct) / total : 0.0; }
  // A markdown table: | key | accuracy | count |.
  void print(const char* key_name, const char* count_name) const {
    std::printf("| %s | accuracy | %s |\n| --- | --- | --- |\n", key_name, count_name);
    for (const auto& [k, ct] : per_key)
      std::printf("| %s | %.3f | %d |\n", k.c_str(), static_cast<double>(ct.first) / ct.second, ct.second);
  }
};

// "a picture of {}" filled with each key's label.
std::vector<std::string> prompts_for(const std::string& prompt, const std::vector<std::string>& keys,
                                     const nlohmann::json& labels) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    std::string p = prompt;
    p.replace(p.find("{}"), 2, labels[k].get<std::string>());
    out.push_back(p);
  }
  return out;
}

// Index of the best label for image i.
size_t best_label(const std::vector<float>& images, size_t i, const std::vector<float>& texts,
                  size_t dim, float logit_scale) {
  const std::span<const float> image(images.data() + i * dim, dim);
  const auto probs = label_probs(image, texts, logit_scale);
  return static_cast<size_t>(std::max_element(probs.begin(), probs.end()) - probs.begin());
}

// Loads the model and embeds the held-out images once for all tests.
class EmojiModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    clip_ = std::make_unique<Clip>(Clip::load(model_dir()));
    eval_ = read_json(eval_dir() / "eval.json");
    std::vector<fs::path> files;
    for (const auto& item : eval_["images"]) {
      files.push_back(eval_dir() / item["file"].get<std::string>());
      if (item["split"] == "heldout_emoji") {
        if (heldout_.size() + 1 != files.size())
          throw std::runtime_error("eval.json: the held-out emoji must come first");
        heldout_.push_back(item);
      }
    }
    dim_ = static_cast<size_t>(clip_->model().embed_dim());
    all_images_ = unit_rows(clip_->embed_image_files(files), dim_);
    // The held-out emoji come first in eval.json.
    images_.assign(all_images_.begin(), all_images_.begin() + heldout_.size() * dim_);
  }
  static void TearDownTestSuite() { clip_.reset(); }

  static std::unique_ptr<Clip> clip_;
  static nlohmann::json eval_;
  static std::vector<nlohmann::json> heldout_;  // the held-out emoji's items
  static std::vector<float> images_;      // held-out emoji: n × dim, unit rows
  static std::vector<float> all_images_;  // every image in eval.json, unit rows
  static size_t dim_;
};
std::unique_ptr<Clip> EmojiModel::clip_;
nlohmann::json EmojiModel::eval_;
std::vector<nlohmann::json> EmojiModel::heldout_;
std::vector<float> EmojiModel::images_;
std::vector<float> EmojiModel::all_images_;
size_t EmojiModel::dim_ = 0;

TEST_F(EmojiModel, IsSmallAndShapedAsConfigured) {
  uintmax_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(model_dir())) bytes += entry.file_size();
  EXPECT_LE(bytes, 20u << 20) << "models/emoji-clip must stay within 20 MiB";
  const ModelConfig& c = clip_->model().config();
  const auto cfg = read_json(model_dir() / "open_clip_config.json")["model_cfg"];
  EXPECT_EQ(c.embed_dim, cfg["embed_dim"].get<int>());
  EXPECT_EQ(c.image_resolution, cfg["vision_cfg"]["image_size"].get<int>());
  EXPECT_EQ(c.vision_patch_size, cfg["vision_cfg"]["patch_size"].get<int>());
  EXPECT_EQ(c.context_length, cfg["text_cfg"]["context_length"].get<int>());
  EXPECT_EQ(c.vocab_size, cfg["text_cfg"]["vocab_size"].get<int>());
  EXPECT_EQ(c.activation, Activation::gelu);
  EXPECT_EQ(clip_->tokenizer().vocab_size(), c.vocab_size);
  EXPECT_EQ(clip_->tokenizer().eot_id(), c.vocab_size - 1);
}

// The engine's embeddings of the exported fp16 weights equal PyTorch's fp32 outputs.
TEST_F(EmojiModel, ExportParityWithPyTorch) {
  const auto parity = read_json(eval_dir() / "parity.json");
  double min_cosine = 1.0;
  for (const auto& case_ : parity["images"]) {
    const std::string file = case_["file"];
    const auto expected = case_["embedding"].get<std::vector<float>>();
    const auto actual = clip_->embed_image_file(eval_dir() / file);
    ASSERT_EQ(actual.size(), expected.size()) << file;
    min_cosine = std::min(min_cosine, testing::cosine(actual, expected));
    EXPECT_GE(testing::cosine(actual, expected), testing::kMinCosine) << file;
    EXPECT_LE(testing::max_abs_diff(actual, expected),
              1e-3 * testing::max_abs(expected)) << file;
  }
  for (const auto& case_ : parity["texts"]) {
    const std::string text = case_["text"];
    const auto expected_tokens = case_["tokens"].get<std::vector<int32_t>>();
    const std::vector<std::string> one{text};
    EXPECT_EQ(clip_->tokenize(one), expected_tokens) << text;
    const auto expected = case_["embedding"].get<std::vector<float>>();
    const auto actual = clip_->embed_text(text);
    ASSERT_EQ(actual.size(), expected.size()) << text;
    min_cosine = std::min(min_cosine, testing::cosine(actual, expected));
    EXPECT_GE(testing::cosine(actual, expected), testing::kMinCosine) << text;
  }
  std::printf("\nExport parity: %zu images, %zu texts, min cosine to PyTorch 1 - %.1e\n",
              parity["images"].size(), parity["texts"].size(), 1.0 - min_cosine);
  EXPECT_NEAR(clip_->model().logit_scale(), parity["logit_scale"].get<double>(),
              1e-3 * parity["logit_scale"].get<double>());
}

// Floors a little below what this engine measured (docs/models.md). Each pair:
// {text→emoji R@1, R@5, R@10, emoji→text R@1, R@5, R@10}.
// Measured 2026-12-02 on the committed model (issue 16), 149 held-out emoji (one emoji = 0.0067).
const std::map<std::string, std::vector<double>> kNameRecallFloors = {
    {"en", {0.14, 0.36, 0.45, 0.13, 0.36, 0.43}},  // measured .168 .389 .477 | .161 .389 .456
    {"zh", {0.10, 0.27, 0.39, 0.09, 0.32, 0.42}},  // measured .121 .302 .423 | .114 .349 .450
    {"ja", {0.12, 0.31, 0.40, 0.11, 0.32, 0.41}},  // measured .141 .342 .430 | .134 .349 .436
    {"es", {0.10, 0.26, 0.39, 0.10, 0.28, 0.39}},  // measured .128 .289 .423 | .121 .309 .416
    {"ru", {0.07, 0.23, 0.34, 0.09, 0.25, 0.36}},  // measured .094 .262 .369 | .114 .282 .389
    {"ar", {0.05, 0.21, 0.34, 0.06, 0.16, 0.36}},  // measured .074 .235 .369 | .081 .188 .389
};
constexpr double kGroupAccuracyFloor = 0.59;  // measured 0.624 (chance 0.111)
// Held-out keywords → emoji, R@10 (measured en .200 zh .241 ja .143 es .162 ru .139 ar .103;
// 28-37 keywords per language, so one keyword moves R@10 by about 0.03).
const std::map<std::string, double> kKeywordRecall10Floors = {
    {"en", 0.16}, {"zh", 0.20}, {"ja", 0.10}, {"es", 0.13}, {"ru", 0.10}, {"ar", 0.07}};

// Held-out emoji, retrieved by their CLDR names (and names by the emoji) per language.
TEST_F(EmojiModel, HeldOutNameRetrievalPerLanguage) {
  const auto& items = heldout_;
  const size_t n = items.size();
  std::printf("\nHeld-out emoji: %zu images (chance R@1 %.3f, R@10 %.3f)\n", n, 1.0 / n, 10.0 / n);
  std::printf("| language | text→emoji R@1 | R@5 | R@10 | emoji→text R@1 | R@5 | R@10 |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& lang_json : eval_["languages"]) {
    const std::string lang = lang_json;
    // Unique names (two held-out emoji may share one); each image's name index.
    std::vector<std::string> names;
    std::vector<size_t> name_of(n);
    for (size_t i = 0; i < n; ++i) {
      const std::string name = items[i]["names"][lang];
      auto it = std::find(names.begin(), names.end(), name);
      name_of[i] = static_cast<size_t>(it - names.begin());
      if (it == names.end()) names.push_back(name);
    }
    const auto texts = unit_rows(clip_->embed_texts(names), dim_);
    std::vector<std::set<size_t>> images_of_name(names.size()), name_of_image(n);
    for (size_t i = 0; i < n; ++i) {
      images_of_name[name_of[i]].insert(i);
      name_of_image[i].insert(name_of[i]);
    }
    const Recall t2i = recall_at(texts, images_, dim_, images_of_name);
    const Recall i2t = recall_at(images_, texts, dim_, name_of_image);
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", lang.c_str(), t2i.at1,
                t2i.at5, t2i.at10, i2t.at1, i2t.at5, i2t.at10);
    const auto& floor = kNameRecallFloors.at(lang);
    EXPECT_GE(t2i.at1, floor[0]) << lang;
    EXPECT_GE(t2i.at5, floor[1]) << lang;
    EXPECT_GE(t2i.at10, floor[2]) << lang;
    EXPECT_GE(i2t.at1, floor[3]) << lang;
    EXPECT_GE(i2t.at5, floor[4]) << lang;
    EXPECT_GE(i2t.at10, floor[5]) << lang;
  }
}

// Zero-shot: each held-out emoji against "a picture of <group>" for the emoji groups.
TEST_F(EmojiModel, ZeroShotGroupAccuracy) {
  const auto groups = eval_["groups"].get<std::vector<std::string>>();
  const auto texts = unit_rows(clip_->embed_texts(prompts_for(eval_["group_prompt"], groups, eval_["group_labels"])), dim_);
  Tally tally;
  for (size_t i = 0; i < heldout_.size(); ++i) {
    const size_t best = best_label(images_, i, texts, dim_, clip_->model().logit_scale());
    tally.add(heldout_[i]["group"], groups[best] == heldout_[i]["group"].get<std::string>());
  }
  std::printf("\nZero-shot group accuracy: %.3f over %d held-out emoji, %zu groups (chance %.3f)\n",
              tally.accuracy(), tally.total, groups.size(), 1.0 / groups.size());
  tally.print("group", "emoji");
  EXPECT_GE(tally.accuracy(), kGroupAccuracyFloor);
}

// The held-out keywords never appeared as training captions: retrieve the emoji they
// describe among all evaluation images (a hit: any emoji carrying the keyword).
TEST_F(EmojiModel, HeldOutKeywordRetrieval) {
  const auto& items = eval_["images"];
  std::printf("\nHeld-out keywords → emoji (%zu images)\n| language | keywords | R@1 | R@5 | R@10 |\n"
              "| --- | --- | --- | --- | --- |\n", items.size());
  for (const auto& lang_json : eval_["languages"]) {
    const std::string lang = lang_json;
    std::map<std::string, std::set<size_t>> images_of;
    for (size_t i = 0; i < items.size(); ++i)
      for (const auto& k : items[i]["heldout_keywords"][lang]) images_of[k.get<std::string>()].insert(i);
    if (images_of.empty()) continue;
    std::vector<std::string> keywords;
    std::vector<std::set<size_t>> relevant;
    for (const auto& [k, imgs] : images_of) {
      keywords.push_back(k);
      relevant.push_back(imgs);
    }
    const auto texts = unit_rows(clip_->embed_texts(keywords), dim_);
    const Recall r = recall_at(texts, all_images_, dim_, relevant);
    std::printf("| %s | %zu | %.3f | %.3f | %.3f |\n", lang.c_str(), keywords.size(), r.at1, r.at5, r.at10);
    EXPECT_GE(r.at10, kKeywordRecall10Floors.at(lang)) << lang;
  }
}

// Issue 16: robustness outside the training renders. Floors a little below what this
// engine measured (docs/models.md); "before" is the emoji-only model of issue 4.
// Common objects, 10-way zero-shot with bare labels on fresh emoji renders (60 images:
// 10 objects x 6 backgrounds): en, zh, ja. One image = 0.0167.
const std::map<std::string, double> kCommonObjectFloors = {
    {"en", 0.80}, {"zh", 0.73}, {"ja", 0.76}};  // measured .833 .767 .800 (issue 4's model: .550 .433 .467)
// The same, on held-out clip-art drawings of the ten objects (English labels).
constexpr double kCommonClipArtFloor = 0.26;  // measured 6/19
// Held-out clip art, zero-shot top-level category ("a picture of {category}").
constexpr double kClipArtCategoryFloor = 0.52;  // measured 0.556 (chance 0.053; issue 4's model 0.052)

// Embeds the files of one eval.json section (unit rows).
std::vector<float> embed_section(const Clip& clip, const nlohmann::json& images, size_t dim) {
  std::vector<fs::path> files;
  for (const auto& item : images) files.push_back(eval_dir() / item["file"].get<std::string>());
  return unit_rows(clip.embed_image_files(files), dim);
}

TEST_F(EmojiModel, CommonObjectsZeroShotPerLanguage) {
  const auto& section = eval_["common_objects"];
  const auto& items = section["images"];
  std::vector<std::string> objects;
  for (const auto& o : section["objects"]) objects.push_back(o);
  const auto images = embed_section(*clip_, items, dim_);
  std::vector<std::string> backgrounds;
  for (const auto& item : items)
    if (item["kind"] == "emoji" &&
        std::find(backgrounds.begin(), backgrounds.end(), item["background"]) == backgrounds.end())
      backgrounds.push_back(item["background"]);
  std::printf("\nCommon objects, 10-way zero-shot with bare labels (fresh emoji renders at 160 px)\n");
  std::printf("| language | all |");
  for (const auto& b : backgrounds) std::printf(" %s |", b.c_str());
  std::printf(" clip art |\n| --- | --- |");
  for (size_t b = 0; b < backgrounds.size(); ++b) std::printf(" --- |");
  std::printf(" --- |\n");
  for (const std::string lang : {"en", "zh", "ja"}) {
    const auto labels = section["labels"][lang].get<std::vector<std::string>>();
    ASSERT_EQ(labels.size(), objects.size());
    const auto texts = unit_rows(clip_->embed_texts(labels), dim_);
    Tally emoji, drawings;
    for (size_t i = 0; i < items.size(); ++i) {
      const size_t best = best_label(images, i, texts, dim_, clip_->model().logit_scale());
      const bool ok = objects[best] == items[i]["object"].get<std::string>();
      (items[i]["kind"] == "emoji" ? emoji : drawings).add(items[i]["background"], ok);
    }
    ASSERT_GT(emoji.total, 0);
    const double accuracy = emoji.accuracy();
    std::printf("| %s | %.3f (%d/%d) |", lang.c_str(), accuracy, emoji.correct, emoji.total);
    for (const auto& b : backgrounds)
      std::printf(" %d/%d |", emoji.per_key[b].first, emoji.per_key[b].second);
    std::printf(" %d/%d |\n", drawings.correct, drawings.total);
    EXPECT_GE(accuracy, kCommonObjectFloors.at(lang)) << lang;
    if (lang == "en" && drawings.total > 0) {
      EXPECT_GE(drawings.accuracy(), kCommonClipArtFloor);
    }
  }
}

TEST_F(EmojiModel, HeldOutClipArtCategoryAccuracy) {
  const auto& section = eval_["clipart"];
  const auto& items = section["images"];
  const auto categories = section["categories"].get<std::vector<std::string>>();
  const auto texts = unit_rows(clip_->embed_texts(prompts_for(section["prompt"], categories, section["labels"])), dim_);
  const auto images = embed_section(*clip_, items, dim_);
  Tally tally;
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t best = best_label(images, i, texts, dim_, clip_->model().logit_scale());
    tally.add(items[i]["category"], categories[best] == items[i]["category"].get<std::string>());
  }
  std::printf("\nHeld-out clip art, zero-shot category: %.3f over %d drawings, %zu categories (chance %.3f)\n",
              tally.accuracy(), tally.total, categories.size(), 1.0 / categories.size());
  tally.print("category", "drawings");
  EXPECT_GE(tally.accuracy(), kClipArtCategoryFloor);
}

}  // namespace
}  // namespace clipkit
