// The registry: the repository's models/registry.json (OpenAI's nine checkpoints with
// the SHA-256 their URLs carry, the BPE vocabulary's digest, the hf: entries), name
// look-up, nearest names, cache folder names, and malformed registries refused.
#include "clipkit/fetch.hpp"

#include <cstdlib>
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

Registry repo_registry() { return Registry::load(testing::source_dir() / "models" / "registry.json"); }

TEST(Registry, HoldsOpenAIsNineCheckpointsWithTheirDigests) {
  const Registry r = repo_registry();
  const char* names[] = {"RN50", "RN101", "RN50x4", "RN50x16", "RN50x64",
                         "ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14@336px"};
  const std::string bpe_sha = sha256_file(testing::bpe_vocab());
  for (const char* name : names) {
    SCOPED_TRACE(name);
    const RegistryEntry* e = r.find(name);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->family, "openai");
    ASSERT_EQ(e->files.size(), 2u);
    const RegistryFile& weights = e->files[0];
    // clip.py's _download: the URL's parent folder is the file's SHA-256.
    ASSERT_TRUE(weights.url.starts_with("https://openaipublic.azureedge.net/clip/models/"));
    const std::string folder = fs::path(weights.url).parent_path().filename().string();
    EXPECT_EQ(weights.sha256, folder);
    EXPECT_EQ(fs::path(weights.url).filename().string(), weights.path);
    EXPECT_EQ(e->model, weights.path);
    EXPECT_EQ(e->vocab, "bpe_simple_vocab_16e6.txt.gz");
    EXPECT_EQ(e->files[1].sha256, bpe_sha) << "the registry's BPE digest is not ../shared's file";
    EXPECT_EQ(e->files[1].size, fs::file_size(testing::bpe_vocab()));
    EXPECT_TRUE(e->loadable) << name;  // the ResNets too (issue 10)
  }
  EXPECT_EQ(r.get("ViT-B/32").files[0].path, "ViT-B-32.pt");
  EXPECT_EQ(r.get("ViT-L/14@336px").files[0].path, "ViT-L-14-336px.pt");
}

TEST(Registry, HuggingFaceEntriesUseResolveMainUrls) {
  const Registry r = repo_registry();
  for (const char* name : {"hf:openai/clip-vit-base-patch32", "hf:timm/ViT-B-16-SigLIP",
                           "hf:OFA-Sys/chinese-clip-vit-base-patch16",
                           "hf:laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
                           "hf:M-CLIP/XLM-Roberta-Large-Vit-B-32"}) {
    SCOPED_TRACE(name);
    const RegistryEntry* e = r.find(name);
    ASSERT_NE(e, nullptr);
    const std::string repo = std::string(name).substr(3);
    bool own_repo = false;
    for (const RegistryFile& f : e->files) {
      EXPECT_TRUE(f.url.starts_with("https://huggingface.co/")) << f.url;
      EXPECT_NE(f.url.find("/resolve/main/" + f.path), std::string::npos) << f.url;
      own_repo |= f.url.starts_with("https://huggingface.co/" + repo + "/resolve/main/");
    }
    EXPECT_TRUE(own_repo);
    EXPECT_TRUE(e->model.empty());  // the folder is the model
  }
}

TEST(Registry, NamesAndNearestNames) {
  const Registry r = repo_registry();
  EXPECT_EQ(r.find("ViT-B-32"), r.find("ViT-B/32"));  // the cache folder's spelling
  EXPECT_EQ(r.find("vit-b/32"), nullptr);
  EXPECT_EQ(r.closest("vit-b/23", 1), std::vector<std::string>{"ViT-B/32"});
  EXPECT_EQ(r.closest("RN5O", 1), std::vector<std::string>{"RN50"});
  testing::expect_error([&] { r.get("ViT-B/23"); }, ErrorCode::not_found,
                        {"unknown model name 'ViT-B/23'", "closest: ViT-B/32", "clipkit pull --list"});
}

TEST(Registry, CacheFolderNames) {
  EXPECT_EQ(cache_folder_name("ViT-B/32"), "ViT-B-32");
  EXPECT_EQ(cache_folder_name("ViT-L/14@336px"), "ViT-L-14@336px");
  EXPECT_EQ(cache_folder_name("hf:openai/clip-vit-base-patch32"), "hf/openai/clip-vit-base-patch32");
  EXPECT_EQ(cache_folder_name("a b:c"), "a-b-c");
  for (const char* bad : {"", "hf:../x", "hf:a//b", "..", "hf:"})
    testing::expect_error([&] { cache_folder_name(bad); }, ErrorCode::invalid_argument, {}, bad);
}

TEST(Registry, CacheRootFromTheEnvironment) {
  const char* saved[] = {std::getenv("CLIPKIT_CACHE"), std::getenv("XDG_CACHE_HOME"), std::getenv("HOME")};
  const std::string keep[] = {saved[0] ? saved[0] : "", saved[1] ? saved[1] : "", saved[2] ? saved[2] : ""};
  setenv("HOME", "/home/someone", 1);
  unsetenv("CLIPKIT_CACHE");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(cache_root(), fs::path("/home/someone/.cache/clipkit"));
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(cache_root(), fs::path("/xdg/clipkit"));
  setenv("CLIPKIT_CACHE", "/models", 1);
  EXPECT_EQ(cache_root(), fs::path("/models"));
  const char* names[] = {"CLIPKIT_CACHE", "XDG_CACHE_HOME", "HOME"};
  for (int i = 0; i < 3; ++i) {
    if (saved[i]) setenv(names[i], keep[i].c_str(), 1);
    else unsetenv(names[i]);
  }
}

TEST(Registry, MalformedRegistriesAreRefused) {
  const std::string file = R"({"url": "https://h/x.pt", "path": "x.pt"})";
  struct Case {
    const char* what;
    std::string text;
    const char* words;
  } cases[] = {
      {"not JSON", "{", "not valid JSON"},
      {"no models", "{}", "no \"models\""},
      {"no name", R"({"models": [{"family": "f", "files": [)" + file + "]}]}", "no \"name\""},
      {"no files", R"({"models": [{"name": "a", "family": "f", "files": []}]})", "no \"files\""},
      {"path escapes", R"({"models": [{"name": "a", "family": "f", "files": [{"url": "https://h/x", "path": "../x"}]}]})",
       "leaves the model's folder"},
      {"absolute path", R"({"models": [{"name": "a", "family": "f", "files": [{"url": "https://h/x", "path": "/etc/x"}]}]})",
       "leaves the model's folder"},
      {"bad sha", R"({"models": [{"name": "a", "family": "f", "files": [{"url": "https://h/x", "path": "x", "sha256": "abc"}]}]})",
       "64 hex digits"},
      {"file url", R"({"models": [{"name": "a", "family": "f", "files": [{"url": "file:///etc/passwd", "path": "x"}]}]})",
       "not http(s)"},
      {"twice", R"({"models": [{"name": "a", "family": "f", "files": [)" + file + R"(]}, {"name": "a", "family": "f", "files": [)" + file + "]}]}",
       "appears twice"},
      {"negative size", R"({"models": [{"name": "a", "family": "f", "files": [{"url": "https://h/x", "path": "x", "size": -1}]}]})",
       "byte count"},
  };
  for (const Case& c : cases)
    testing::expect_error([&] { Registry::parse(c.text, "test.json"); }, ErrorCode::corrupt_data, {"test.json", c.words},
                          c.what);
}

}  // namespace
}  // namespace clipkit
