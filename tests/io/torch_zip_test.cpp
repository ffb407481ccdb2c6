// torch zip checkpoints: the TorchScript and state-dict fixtures, hand-made archives
// (strided views, nested state dicts, newer storage globals) and the corrupt table.
#include "io/torch_zip.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>

#include "io/zip_reader.hpp"
#include "io_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit::io {
namespace {

using clipkit::testing::bytes_of;
using clipkit::testing::expect_error;
using clipkit::testing::f32_bytes;
using clipkit::testing::fixtures_dir;
using clipkit::testing::make_zip;
using clipkit::testing::PickleBuilder;
using clipkit::testing::read_bytes;

TEST(TorchZip, TorchScriptFixtureWalksTheModuleTree) {
  const auto bytes = read_bytes(fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
  const TorchZipContents c = read_torch_zip(bytes, "model.jit.pt");
  EXPECT_EQ(c.kind, TorchZipKind::torchscript);
  EXPECT_EQ(c.root, "model.jit");
  EXPECT_EQ(c.tensors.dominant_dtype(), "f16");
  const Tensor& conv = c.tensors.tensors.at("visual.conv1.weight");
  EXPECT_EQ(conv.shape, (std::vector<int64_t>{128, 3, 16, 16}));
  EXPECT_TRUE(c.tensors.tensors.contains("transformer.resblocks.1.mlp.c_proj.bias"));
  EXPECT_EQ(c.tensors.tensors.at("logit_scale").shape.size(), 0u);
  // 4 visual singles + ln_pre/ln_post + 12 per block x 4 blocks + token/positional
  // embeddings + ln_final + text_projection + logit_scale.
  EXPECT_EQ(c.tensors.tensors.size(), 4u + 4 + 12 * 4 + 2 + 2 + 1 + 1);
}

TEST(TorchZip, StateDictFixture) {
  const auto bytes = read_bytes(fixtures_dir() / "models/tiny_quickgelu/model.state_dict.pt");
  const TorchZipContents c = read_torch_zip(bytes, "model.state_dict.pt");
  EXPECT_EQ(c.kind, TorchZipKind::state_dict);
  EXPECT_EQ(c.root, "model.state_dict");
  EXPECT_EQ(c.tensors.dominant_dtype(), "f32");
  EXPECT_EQ(c.tensors.tensors.at("visual.proj").shape, (std::vector<int64_t>{128, 32}));
}

// A state dict {key: tensor} over storage "0" of six floats 0..5.
std::vector<uint8_t> archive(const PickleBuilder& pickle, std::vector<uint8_t> storage,
                             const std::string& root = "archive") {
  return make_zip({{root + "/data.pkl", pickle.bytes}, {root + "/data/0", std::move(storage)}});
}

const std::vector<float> kSix = {0, 1, 2, 3, 4, 5};

TEST(TorchZip, MaterialisesStridedViews) {
  PickleBuilder p;
  p.proto().ordered_dict().mark()
      .str("t").tensor("FloatStorage", "0", 6, 0, {3, 2}, {1, 3})     // transpose of [2,3]
      .str("o").tensor("FloatStorage", "0", 6, 1, {2}, {2})            // elements 1, 3
      .str("c").tensor("FloatStorage", "0", 6, 2, {2, 2}, {2, 1})      // contiguous from 2
      .str("s").tensor("FloatStorage", "0", 6, 5, {}, {})              // scalar
      .setitems().stop();
  const TorchZipContents c = read_torch_zip(archive(p, f32_bytes(kSix), "weird_root-1"), "v.pt");
  EXPECT_EQ(c.root, "weird_root-1");
  EXPECT_EQ(c.tensors.tensors.at("t").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(c.tensors.tensors.at("t").data, (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(c.tensors.tensors.at("o").data, (std::vector<float>{1, 3}));
  EXPECT_EQ(c.tensors.tensors.at("c").data, (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(c.tensors.tensors.at("s").data, (std::vector<float>{5}));
}

TEST(TorchZip, NestedStateDictWithModulePrefixAndParameters) {
  PickleBuilder p;
  p.proto().empty_dict().mark()
      .str("epoch").int1(3)
      .str("state_dict").ordered_dict().mark()
      .str("module.visual.layer1.0.conv1.weight")
      .global("torch._utils", "_rebuild_parameter").mark()
      .tensor("HalfStorage", "0", 3, 0, {3}, {1}).op(0x88).ordered_dict().tuple().reduce()
      .str("module.n_averaged").int1(1)
      .setitems()
      .setitems().stop();
  // f16 1, 2, -0.5
  const std::vector<uint8_t> half = {0x00, 0x3c, 0x00, 0x40, 0x00, 0xb8};
  const TorchZipContents c = read_torch_zip(archive(p, half), "n.pt");
  ASSERT_EQ(c.tensors.tensors.size(), 1u);
  EXPECT_EQ(c.tensors.tensors.at("visual.layer1.0.conv1.weight").data,
            (std::vector<float>{1.0f, 2.0f, -0.5f}));
  EXPECT_EQ(c.tensors.dominant_dtype(), "f16");
}

TEST(TorchZip, BFloat16AndDtypeStorageGlobals) {
  PickleBuilder p;
  p.proto().ordered_dict().mark()
      .str("b").tensor("BFloat16Storage", "0", 2, 0, {2}, {1})
      .str("d").tensor("bfloat16", "0", 2, 1, {1}, {1})
      .setitems().stop();
  const std::vector<uint8_t> bf16 = {0x80, 0x3f, 0x40, 0xc0};  // 1, -3
  const TorchZipContents c = read_torch_zip(archive(p, bf16), "b.pt");
  EXPECT_EQ(c.tensors.tensors.at("b").data, (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ(c.tensors.tensors.at("d").data, (std::vector<float>{-3.0f}));
}

struct Case {
  std::string label;
  std::vector<uint8_t> bytes;
  ErrorCode code;
  std::vector<std::string> fragments;
};

// The offset of an entry's stored data inside `bytes`.
size_t data_offset(const std::vector<uint8_t>& bytes, const std::string& entry) {
  ZipReader zip(bytes, "x");
  return static_cast<size_t>(zip.stored_data(*zip.find(entry)).data() - bytes.data());
}

TEST(TorchZip, CorruptInputTable) {
  const auto jit = read_bytes(fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
  const size_t pkl = data_offset(jit, "model.jit/data.pkl");
  std::vector<Case> cases;
  cases.push_back({"empty file", {}, ErrorCode::corrupt_data, {"file is empty"}});
  cases.push_back({"not a zip", bytes_of("this is not a checkpoint, just some text bytes"),
                   ErrorCode::corrupt_data, {"not a zip archive"}});
  cases.push_back({"cut at 50%", {jit.begin(), jit.begin() + static_cast<std::ptrdiff_t>(jit.size() / 2)},
                   ErrorCode::corrupt_data, {"truncated", "end-of-central-directory"}});
  cases.push_back({"cut at 99%",
                   {jit.begin(), jit.begin() + static_cast<std::ptrdiff_t>(jit.size() * 99 / 100)},
                   ErrorCode::corrupt_data, {"truncated"}});
  {
    auto bad = jit;
    std::memset(bad.data() + pkl + 2, 0xff, 8);  // opcodes after PROTO
    cases.push_back({"garbled pickle opcodes", bad, ErrorCode::corrupt_data,
                     {"model.jit/data.pkl", "malformed pickle at byte 2", "opcode 0xff"}});
  }
  {
    auto bad = jit;
    const std::string evil = "os\nsystem\n";  // over "__torch__.clip.model\nCLIP\n"
    std::memcpy(bad.data() + pkl + 3, evil.data(), evil.size());
    cases.push_back({"pickle names os.system", bad, ErrorCode::unsupported, {"'os.system'", "not allowed"}});
  }
  {
    auto bad = jit;
    // A BINUNICODE length near the start claims far more bytes than the pickle has.
    ZipReader zip(jit, "x");
    const auto data = zip.stored_data(*zip.find("model.jit/data.pkl"));
    size_t x = 0;
    while (data[x] != 'X') ++x;
    std::memset(bad.data() + pkl + x + 1, 0x7f, 4);
    cases.push_back({"pickle string past its end", bad, ErrorCode::corrupt_data,
                     {"malformed pickle", "truncated"}});
  }
  {
    auto bad = jit;
    // Rename entry "model.jit/data/0" (local and central names) to ".../data/X".
    const std::string name = "model.jit/data/0";
    const auto n = static_cast<std::ptrdiff_t>(name.size());
    int renamed = 0;
    for (auto p = std::search(bad.begin(), bad.end(), name.begin(), name.end()); p != bad.end();
         p = std::search(p + 1, bad.end(), name.begin(), name.end())) {
      if (p + n < bad.end() && !std::isdigit(*(p + n))) {
        *(p + n - 1) = 'X';
        ++renamed;
      }
    }
    EXPECT_EQ(renamed, 2);
    cases.push_back({"missing data entry", bad, ErrorCode::corrupt_data,
                     {"missing data entry 'model.jit/data/0'", "tensor '"}});
  }
  {
    PickleBuilder p;
    p.proto().ordered_dict().mark().str("w").tensor("FloatStorage", "0", 6, 0, {6}, {1}).setitems().stop();
    cases.push_back({"storage size != dtype x numel", archive(p, std::vector<uint8_t>(20, 0)),
                     ErrorCode::corrupt_data,
                     {"tensor 'w'", "holds 20 bytes", "6 x f32 = 24 bytes"}});
  }
  {
    PickleBuilder p;
    p.proto().ordered_dict().mark().str("w").tensor("FloatStorage", "0", 6, 2, {3, 2}, {2, 1}).setitems().stop();
    cases.push_back({"view past its storage", archive(p, f32_bytes(kSix)), ErrorCode::corrupt_data,
                     {"tensor 'w'", "reaches element 7 of a storage of 6"}});
  }
  {
    PickleBuilder p;
    p.proto().ordered_dict().mark().str("w").tensor("FloatStorage", "1", 6, 0, {6}, {1}).setitems().stop();
    cases.push_back({"storage key without entry", archive(p, f32_bytes(kSix)), ErrorCode::corrupt_data,
                     {"missing data entry 'archive/data/1'"}});
  }
  {
    PickleBuilder p;
    p.proto().ordered_dict().mark().str("w").tensor("ComplexFloatStorage", "0", 6, 0, {6}, {1}).setitems().stop();
    cases.push_back({"storage type not allowed", archive(p, f32_bytes(kSix)), ErrorCode::unsupported,
                     {"'torch.ComplexFloatStorage'"}});
  }
  cases.push_back({"zip without data.pkl", make_zip({{"a/b.txt", bytes_of("x")}}),
                   ErrorCode::unsupported, {"without a <root>/data.pkl"}});
  cases.push_back({"legacy torch format", {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c},
                   ErrorCode::unsupported, {"legacy"}});
  for (const Case& c : cases) {
    for (const auto& f : c.fragments) {
      expect_error([&] { read_torch_zip(c.bytes, "bad.pt"); }, c.code, {"bad.pt", f}, c.label);
    }
  }
}

// Found while writing fuzz/fuzz_torch_zip (issue 15). Pickle memo references make the module tree a
// DAG: one submodule shared by two attributes at each of 40 levels is 2^40 walks from a
// 2 KB file. The reader's budget (8 x the archive + 16 MiB of names, visits and fp32
// data) stops it at once.
TEST(TorchZip, SubmoduleSharedAtEveryLevelStopsAtTheBudgetNotAfter2To40Walks) {
  PickleBuilder p;
  p.proto();
  auto module_object = [&] { p.global("__torch__.m", "M").empty_tuple().op(0x81); };  // NEWOBJ
  module_object();
  p.empty_dict().op('b').op('q').op(0).op('0');  // BUILD with no attributes; memo 0; POP
  for (uint8_t level = 1; level <= 40; ++level) {
    module_object();
    p.empty_dict().mark().str("a").op('h').op(level - 1).str("b").op('h').op(level - 1).setitems();
    p.op('b').op('q').op(level);
    if (level < 40) p.op('0');  // only the top module stays on the stack
  }
  p.stop();
  const std::vector<uint8_t> bytes = make_zip({{"archive/data.pkl", p.bytes}});
  ASSERT_LT(bytes.size(), 2000u);
  expect_error([&] { read_torch_zip(bytes, "dag.pt"); }, ErrorCode::corrupt_data,
               {"dag.pt", "expands past", "shared by too many names"});
}

// A state dict of ByteStorage-backed tensors that all name one storage of `numel` bytes,
// `names` times (memo references): each name is another fp32 copy.
std::vector<uint8_t> shared_storage_archive(int32_t numel, int names) {
  PickleBuilder p;
  p.proto().ordered_dict().mark().str("t0");
  p.global("torch._utils", "_rebuild_tensor_v2").mark();
  p.mark().str("storage").global("torch", "ByteStorage").str("0").str("cpu").int4(numel).tuple().op('Q');
  p.int1(0).mark().int4(numel).tuple().mark().int1(1).tuple().op(0x89).ordered_dict();
  p.tuple().reduce().op('q').op(1);
  for (int i = 1; i < names; ++i) p.str("t" + std::to_string(i)).op('h').op(1);
  p.setitems().stop();
  return archive(p, std::vector<uint8_t>(static_cast<size_t>(numel), 7));
}

// Found while writing fuzz/fuzz_torch_zip (issue 15): one storage named by many tensors made the
// reader allocate names x storage in fp32 from a file of one storage.
TEST(TorchZip, OneStorageNamedByManyTensorsStopsAtTheBudget) {
  // Tied weights (a few names over one storage) still load.
  const TorchZipContents tied = read_torch_zip(shared_storage_archive(1000, 3), "tied.pt");
  ASSERT_EQ(tied.tensors.tensors.size(), 3u);
  EXPECT_EQ(tied.tensors.tensors.at("t2").data, std::vector<float>(1000, 7.0f));
  // 256 KiB of u8 named 100 times: 100 MiB of fp32 from a 256 KiB file.
  expect_error([&] { read_torch_zip(shared_storage_archive(256 << 10, 100), "many.pt"); },
               ErrorCode::corrupt_data, {"many.pt", "expands past"});
}

// Found while writing fuzz/fuzz_torch_zip (issue 15), a UBSan report: a dimension of extent 1 may carry
// any stride (the bounds check rightly ignores it), and the strided copy added that
// stride anyway: signed overflow for stride INT64_MAX. Values must be those of the view.
TEST(TorchZip, ExtentOneDimensionWithHugeStride) {
  PickleBuilder p;
  p.proto().ordered_dict().mark().str("w");
  p.global("torch._utils", "_rebuild_tensor_v2").mark();
  p.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").int1(6).tuple().op('Q');
  p.int1(1).ints_tuple({2, 1});
  p.mark().int1(2).op(0x8a).op(8);  // LONG1: INT64_MAX
  clipkit::testing::put_le(p.bytes, static_cast<uint64_t>(INT64_MAX), 8);
  p.tuple().op(0x89).ordered_dict().tuple().reduce();
  p.setitems().stop();
  const TorchZipContents c = read_torch_zip(archive(p, f32_bytes(kSix)), "s.pt");
  EXPECT_EQ(c.tensors.tensors.at("w").shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(c.tensors.tensors.at("w").data, (std::vector<float>{1, 3}));
}

// Random byte damage to the pickle and the central directory: every outcome is a
// clean load or a clipkit::Error, never a crash or another exception (fixed seed).
TEST(TorchZip, RandomDamageGivesErrorsNotCrashes) {
  const auto jit = read_bytes(fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
  ZipReader zip(jit, "x");
  const auto pkl = zip.stored_data(*zip.find("model.jit/data.pkl"));
  const size_t pkl_begin = static_cast<size_t>(pkl.data() - jit.data());
  const size_t tail_begin = jit.size() - jit.size() / 20;
  std::mt19937 rng(1234);
  int errors = 0;
  for (int iteration = 0; iteration < 80; ++iteration) {
    auto bad = jit;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const bool in_pickle = rng() % 2 == 0;
      const size_t at = in_pickle ? pkl_begin + rng() % pkl.size()
                                  : tail_begin + rng() % (jit.size() - tail_begin);
      bad[at] = static_cast<uint8_t>(rng());
    }
    try {
      read_torch_zip(bad, "fuzz.pt");
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 10);  // the damage is mostly detected
}

}  // namespace
}  // namespace clipkit::io
