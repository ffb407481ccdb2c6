// The pickle machine: building opcodes produce the right values; disallowed globals,
// truncation and stack misuse are refused with messages that say where and what.
#include "io/pickle.hpp"

#include <gtest/gtest.h>

#include <bit>

#include "io_test_util.hpp"

namespace clipkit::io {
namespace {

using clipkit::testing::expect_error;
using clipkit::testing::PickleBuilder;
using Kind = PickleValue::Kind;

PickleData parse(const PickleBuilder& b) { return parse_pickle(b.bytes, "test.pkl"); }

TEST(Pickle, DictOfScalars) {
  PickleBuilder b;
  b.proto().op(0x95).raw(std::string(8, '\0'))  // FRAME
      .empty_dict().op('q').op(0).mark()
      .short_str("one").int1(1)
      .str("big").int2(60000)
      .str("neg").int4(-5)
      .str("long").op(0x8a).op(2).op(0x00).op(0x80)  // LONG1 -32768
      .str("long8").op(0x8a).op(8).raw(std::string("\x01\x00\x00\x00\x00\x00\x00\x80", 8))
      .str("float").op('G').raw(std::string("\x3f\xf8\x00\x00\x00\x00\x00\x00", 8))  // 1.5
      .str("yes").op(0x88).str("no").op(0x89).str("none").op('N')
      .setitems().stop();
  const PickleData p = parse(b);
  const PickleValue& root = p.root();
  ASSERT_EQ(root.kind, Kind::dict);
  EXPECT_EQ(root.entries.size(), 9u);
  EXPECT_EQ(root.get("one")->integer, 1);
  EXPECT_EQ(root.get("big")->integer, 60000);
  EXPECT_EQ(root.get("neg")->integer, -5);
  EXPECT_EQ(root.get("long")->integer, -32768);
  EXPECT_EQ(root.get("long8")->integer, INT64_MIN + 1);
  EXPECT_EQ(root.get("float")->floating, 1.5);
  EXPECT_TRUE(root.get("yes")->boolean);
  EXPECT_EQ(root.get("no")->kind, Kind::boolean);
  EXPECT_FALSE(root.get("no")->boolean);
  EXPECT_EQ(root.get("none")->kind, Kind::none);
  EXPECT_EQ(root.get("missing"), nullptr);
}

TEST(Pickle, TuplesListsAndMemo) {
  // Builds (list, ((7,), ((8, 9), (1, 2, 3), list))) with list = [1, 2, 3].
  PickleBuilder wrapped;
  wrapped.proto().mark()
      .op(']').op(0x94)                    // list, MEMOIZE as 0
      .mark().int1(1).int1(2).op('e')      // APPENDS
      .int1(3).op('a')                     // APPEND
      .int1(7).op(0x85)                    // TUPLE1
      .int1(8).int1(9).op(0x86)            // TUPLE2
      .int1(1).int1(2).int1(3).op(0x87)    // TUPLE3
      .op('h').op(0)                       // BINGET the list
      .op(0x87)                            // ((8, 9), (1, 2, 3), list)
      .op('r').raw(std::string("\x10\x00\x00\x00", 4))  // LONG_BINPUT 16
      .op('0')                             // POP
      .op('j').raw(std::string("\x10\x00\x00\x00", 4))  // LONG_BINGET 16
      .op(0x86)                            // ((7,), that triple)
      .tuple().stop();
  const PickleData p = parse(wrapped);
  const PickleValue& root = p.root();
  ASSERT_EQ(root.kind, Kind::tuple);
  ASSERT_EQ(root.items.size(), 2u);
  const PickleValue& list = *root.items[0];
  ASSERT_EQ(list.kind, Kind::list);
  ASSERT_EQ(list.items.size(), 3u);
  EXPECT_EQ(list.items[2]->integer, 3);
  const PickleValue& pair = *root.items[1];
  ASSERT_EQ(pair.items.size(), 2u);
  EXPECT_EQ(pair.items[0]->items[0]->integer, 7);
  const PickleValue& triple = *pair.items[1];
  ASSERT_EQ(triple.items.size(), 3u);
  EXPECT_EQ(triple.items[0]->items[1]->integer, 9);
  EXPECT_EQ(triple.items[1]->items[2]->integer, 3);
  EXPECT_EQ(triple.items[2], &list);  // memo refers to the same object
}

TEST(Pickle, OrderedDictViaReduceAndStackGlobal) {
  PickleBuilder b;
  b.proto(4).short_str("collections").short_str("OrderedDict").op(0x93).empty_tuple().reduce()
      .mark().str("a").int1(1).str("a").int1(2).setitems()  // a duplicate key replaces
      .empty_dict().op('b')                                // BUILD with metadata: ignored
      .stop();
  const PickleData p = parse(b);
  ASSERT_EQ(p.root().kind, Kind::dict);
  ASSERT_EQ(p.root().entries.size(), 1u);
  EXPECT_EQ(p.root().get("a")->integer, 2);
}

TEST(Pickle, TensorCallAndPersistentId) {
  PickleBuilder b;
  b.proto().tensor("HalfStorage", "7", 6, 0, {2, 3}, {3, 1}).stop();
  const PickleData p = parse(b);
  const PickleValue& call = p.root();
  ASSERT_EQ(call.kind, Kind::call);
  EXPECT_TRUE(call.callee->is_global("torch._utils", "_rebuild_tensor_v2"));
  ASSERT_EQ(call.args->items.size(), 6u);
  const PickleValue& pid = *call.args->items[0];
  ASSERT_EQ(pid.kind, Kind::persistent_id);
  ASSERT_EQ(pid.args->items.size(), 5u);
  EXPECT_EQ(pid.args->items[0]->text, "storage");
  EXPECT_TRUE(pid.args->items[1]->is_global("torch", "HalfStorage"));
  EXPECT_EQ(pid.args->items[2]->text, "7");
  EXPECT_EQ(pid.args->items[4]->integer, 6);
  EXPECT_EQ(call.args->items[2]->items[1]->integer, 3);
  EXPECT_EQ(call.args->items[5]->kind, Kind::dict);  // OrderedDict() hooks
}

TEST(Pickle, TorchScriptModuleObject) {
  PickleBuilder b;
  b.proto().global("__torch__.clip.model.___torch_mangle_3", "CLIP").empty_tuple().op(0x81)
      .empty_dict().mark().str("training").op(0x89).str("n").int1(4).setitems().op('b')
      .stop();
  const PickleData p = parse(b);
  ASSERT_EQ(p.root().kind, Kind::object);
  EXPECT_EQ(p.root().callee->text, "CLIP");
  ASSERT_NE(p.root().state, nullptr);
  EXPECT_EQ(p.root().state->get("n")->integer, 4);
}

TEST(Pickle, SelfReferenceDoesNotHang) {
  PickleBuilder b;
  b.proto().empty_dict().op('q').op(1).str("me").op('h').op(1).op('s').stop();
  const PickleData p = parse(b);
  EXPECT_EQ(p.root().get("me"), &p.root());
}

// SETITEMS must not rescan the dict per key: a hostile pickle with many keys would take
// quadratic time. These check the values (Python's dict semantics), not the time.
// "k" + std::to_string(i), appended piecewise: GCC 12 warns falsely (-Wrestrict) on
// "literal" + std::string&&.
std::string numbered(const char* prefix, int i) { return std::string(prefix).append(std::to_string(i)); }

TEST(Pickle, DictWithManyDistinctKeys) {
  constexpr int kKeys = 200000;
  PickleBuilder b;
  b.proto().empty_dict();
  for (int i = 0; i < kKeys; ++i) {
    if (i % 1000 == 0) b.mark();  // pickle batches SETITEMS by 1000, as Python's does
    b.str(numbered("key", i)).int4(i);
    if (i % 1000 == 999) b.setitems();
  }
  const PickleData p = parse(b.stop());
  const PickleValue& root = p.root();
  ASSERT_EQ(root.kind, Kind::dict);
  ASSERT_EQ(root.entries.size(), size_t{kKeys});
  for (int i = 0; i < kKeys; ++i) {
    const auto& [key, value] = root.entries[i];
    ASSERT_EQ(key->text, numbered("key", i)) << "entry " << i;
    ASSERT_EQ(value->integer, i) << "entry " << i;
  }
  EXPECT_EQ(root.get("key123456")->integer, 123456);
}

TEST(Pickle, RepeatedKeysLastValueWinsInFirstInsertionOrder) {
  // 200,000 sets over 1,000 keys: the first half by SETITEMS, the second by SETITEM, and a
  // DICT opcode with duplicates inside its own MARK.
  constexpr int kSets = 200000, kKeys = 1000;
  PickleBuilder b;
  b.proto().mark().str("x").int1(1).int4(7).int1(1).str("x").int1(2).op('d');  // DICT
  b.mark();
  for (int i = 0; i < kSets / 2; ++i) b.str(numbered("k", i % kKeys)).int4(i);
  b.setitems();
  for (int i = kSets / 2; i < kSets; ++i) b.str(numbered("k", i % kKeys)).int4(i).op('s');
  const PickleData p = parse(b.stop());
  const PickleValue& root = p.root();
  ASSERT_EQ(root.kind, Kind::dict);
  // "x" once (last value 2), the int key 7 once, then k0 … k999 in first-insertion order.
  ASSERT_EQ(root.entries.size(), size_t{2 + kKeys});
  EXPECT_EQ(root.entries[0].first->text, "x");
  EXPECT_EQ(root.entries[0].second->integer, 2);
  EXPECT_EQ(root.entries[1].first->integer, 7);
  for (int k = 0; k < kKeys; ++k) {
    const auto& [key, value] = root.entries[2 + k];
    ASSERT_EQ(key->text, numbered("k", k)) << "entry " << 2 + k;
    ASSERT_EQ(value->integer, kSets - kKeys + k) << "key k" << k;  // the last set of k
  }
}

TEST(Pickle, GlobalAllowlist) {
  EXPECT_TRUE(pickle_global_allowed("collections", "OrderedDict"));
  EXPECT_TRUE(pickle_global_allowed("torch._utils", "_rebuild_tensor_v2"));
  EXPECT_TRUE(pickle_global_allowed("torch._utils", "_rebuild_parameter"));
  EXPECT_TRUE(pickle_global_allowed("torch", "BFloat16Storage"));
  EXPECT_TRUE(pickle_global_allowed("torch", "bfloat16"));
  EXPECT_TRUE(pickle_global_allowed("__torch__.torch.nn.modules.linear", "Linear"));
  EXPECT_FALSE(pickle_global_allowed("os", "system"));
  EXPECT_FALSE(pickle_global_allowed("builtins", "eval"));
  EXPECT_FALSE(pickle_global_allowed("torch", "load"));
  EXPECT_FALSE(pickle_global_allowed("torch._utils", "_rebuild_device_tensor_from_numpy"));
  EXPECT_FALSE(pickle_global_allowed("torch", "EvilStorage"));
  EXPECT_FALSE(pickle_global_allowed("__torch__x", "A"));
}

struct BadPickle {
  const char* label;
  PickleBuilder pickle;
  ErrorCode code;
  std::vector<std::string_view> fragments;
};

TEST(Pickle, CorruptInputTable) {
  std::vector<BadPickle> cases;
  auto add = [&](const char* label, PickleBuilder b, ErrorCode code,
                 std::vector<std::string_view> fragments) {
    cases.push_back({label, std::move(b), code, std::move(fragments)});
  };
  add("os.system via GLOBAL",
      PickleBuilder().proto().global("os", "system").str("rm -rf /").op(0x85).reduce().stop(),
      ErrorCode::unsupported, {"test.pkl", "'os.system'", "not allowed"});
  add("builtins.eval via STACK_GLOBAL",
      PickleBuilder().proto(4).short_str("builtins").short_str("eval").op(0x93).stop(),
      ErrorCode::unsupported, {"'builtins.eval'"});
  add("empty input", PickleBuilder(), ErrorCode::corrupt_data, {"test.pkl", "truncated"});
  add("no STOP", PickleBuilder().proto().empty_dict(), ErrorCode::corrupt_data, {"truncated"});
  add("string longer than input",
      PickleBuilder().proto().op('X').raw(std::string("\xff\xff\xff\x7f", 4)).raw("abc"),
      ErrorCode::corrupt_data, {"at byte 2", "2147483647", "truncated"});
  add("unknown opcode", PickleBuilder().proto().op(0xff), ErrorCode::corrupt_data,
      {"at byte 2", "opcode 0xff"});
  add("text-protocol opcode", PickleBuilder().proto().op('I').raw("1\n").stop(),
      ErrorCode::corrupt_data, {"opcode 0x49"});
  add("stack underflow", PickleBuilder().proto().op(0x85).stop(), ErrorCode::corrupt_data,
      {"stack underflow"});
  add("pop below MARK", PickleBuilder().proto().int1(1).mark().op(0x85).stop(),
      ErrorCode::corrupt_data, {"stack underflow"});
  add("TUPLE without MARK", PickleBuilder().proto().int1(1).tuple().stop(),
      ErrorCode::corrupt_data, {"no MARK"});
  add("two values at STOP", PickleBuilder().proto().int1(1).int1(2).stop(),
      ErrorCode::corrupt_data, {"2 values on the stack"});
  add("unknown memo key", PickleBuilder().proto().op('h').op(9).stop(), ErrorCode::corrupt_data,
      {"memo key 9"});
  add("SETITEM on a list", PickleBuilder().proto().op(']').int1(1).int1(2).op('s').stop(),
      ErrorCode::corrupt_data, {"SETITEM(S) on a list"});
  add("REDUCE on a string", PickleBuilder().proto().str("f").empty_tuple().reduce().stop(),
      ErrorCode::corrupt_data, {"REDUCE on a str"});
  add("LONG1 wider than 64 bits",
      PickleBuilder().proto().op(0x8a).op(9).raw(std::string(9, '\1')).stop(),
      ErrorCode::corrupt_data, {"9 bytes"});
  add("protocol 6", PickleBuilder().proto(6).stop(), ErrorCode::corrupt_data, {"protocol 6"});
  add("unterminated GLOBAL", PickleBuilder().proto().op('c').raw("collections"),
      ErrorCode::corrupt_data, {"unterminated GLOBAL"});
  for (const BadPickle& c : cases) {
    expect_error([&] { parse(c.pickle); }, c.code,
                 std::initializer_list<std::string_view>(), c.label);
    for (auto f : c.fragments) {
      expect_error([&] { parse(c.pickle); }, c.code, {f}, c.label);
    }
  }
}

}  // namespace
}  // namespace clipkit::io
