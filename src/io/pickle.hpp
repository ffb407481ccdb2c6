// io/pickle.hpp — a data-only reader for the Python pickles inside torch checkpoints.
//
//   PickleData p = parse_pickle(bytes, "model.pt:archive/data.pkl");
//   const PickleValue& root = p.root();
//   if (root.kind == PickleValue::Kind::dict) { ... root.get("visual.proj") ... }
//
// It is a small opcode machine over the binary opcodes protocols 2–5 use. It never
// imports or executes anything: GLOBAL/STACK_GLOBAL names are checked against an
// allowlist (collections.OrderedDict, torch._utils._rebuild_tensor_v2 /
// _rebuild_parameter, torch.*Storage, torch dtypes, `__torch__.*` TorchScript
// module classes), REDUCE/NEWOBJ record the call as data (`call` / `object`
// values) except OrderedDict(), which becomes an empty dict, and BINPERSID records
// the persistent id (`persistent_id`). Interpreting those is the caller's job.
//
// Values live in an arena owned by PickleData (pointers stay valid while it lives;
// cycles built with memo references are possible, so walkers must bound depth).
// Errors: clipkit::Error corrupt_data (truncated, unknown opcode, stack misuse,
// over the stack/memo bounds), unsupported (a global outside the allowlist).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clipkit::io {

struct PickleValue {
  enum class Kind {
    none, boolean, integer, floating, string, bytes,
    tuple, list, dict,
    global,         // module + name
    object,         // NEWOBJ: callee = class global, args; state set by BUILD
    call,           // REDUCE: callee = function global, args
    persistent_id,  // BINPERSID: args = the id
  };
  Kind kind = Kind::none;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0.0;
  std::string text;    // string / bytes payload; global: the name
  std::string module;  // global: the module
  std::vector<PickleValue*> items;                              // tuple, list
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;   // dict, in insertion order
  PickleValue* callee = nullptr;
  PickleValue* args = nullptr;
  PickleValue* state = nullptr;

  bool is(Kind k) const { return kind == k; }
  bool is_global(std::string_view mod, std::string_view name) const {
    return kind == Kind::global && module == mod && text == name;
  }
  // For a dict: the value under string key `key`, or nullptr.
  const PickleValue* get(std::string_view key) const;
};

const char* to_string(PickleValue::Kind kind);

class PickleData {
 public:
  const PickleValue& root() const { return *root_; }

 private:
  friend PickleData parse_pickle(std::span<const uint8_t>, const std::string&);
  std::vector<std::unique_ptr<PickleValue>> arena_;
  PickleValue* root_ = nullptr;
};

// Whether a GLOBAL may appear in a checkpoint pickle.
bool pickle_global_allowed(std::string_view module, std::string_view name);

// Parses `bytes` up to STOP. `display_name` names the pickle in error messages.
PickleData parse_pickle(std::span<const uint8_t> bytes, const std::string& display_name);

// Caps that bound memory for hostile inputs.
inline constexpr size_t kMaxPickleStack = size_t{1} << 20;
inline constexpr size_t kMaxPickleMemo = size_t{1} << 22;

}  // namespace clipkit::io
