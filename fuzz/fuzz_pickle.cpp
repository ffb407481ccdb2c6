// fuzz/fuzz_pickle.cpp — io::parse_pickle on arbitrary bytes, then a bounded walk of the
// value graph it built (memo references can make cycles, so the walk caps depth and
// visits), reading every field a checkpoint reader would.
#include <unordered_set>

#include "fuzz_support.hpp"
#include "io/pickle.hpp"

namespace {

using clipkit::io::PickleValue;

struct Walker {
  size_t visits = 0;
  static constexpr size_t kMaxVisits = 100'000;
  static constexpr int kMaxDepth = 64;

  void walk(const PickleValue* v, int depth) {
    if (v == nullptr || depth > kMaxDepth || ++visits > kMaxVisits) return;
    FUZZ_CHECK(clipkit::io::to_string(v->kind)[0] != '?');
    switch (v->kind) {
      case PickleValue::Kind::tuple:
      case PickleValue::Kind::list:
        for (const PickleValue* item : v->items) {
          FUZZ_CHECK(item != nullptr);
          walk(item, depth + 1);
        }
        break;
      case PickleValue::Kind::dict:
        for (const auto& [key, value] : v->entries) {
          FUZZ_CHECK(key != nullptr && value != nullptr);
          walk(key, depth + 1);
          walk(value, depth + 1);
          if (key->is(PickleValue::Kind::string)) FUZZ_CHECK(v->get(key->text) != nullptr);
        }
        break;
      case PickleValue::Kind::global:
        FUZZ_CHECK(clipkit::io::pickle_global_allowed(v->module, v->text));
        break;
      case PickleValue::Kind::object:
      case PickleValue::Kind::call:
      case PickleValue::Kind::persistent_id:
        walk(v->callee, depth + 1);
        walk(v->args, depth + 1);
        walk(v->state, depth + 1);
        break;
      default:
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  clipkit::fuzz::run([&] {
    const clipkit::io::PickleData pickle = clipkit::io::parse_pickle(clipkit::fuzz::bytes(data, size), "fuzz.pkl");
    Walker().walk(&pickle.root(), 0);
  });
  return 0;
}
