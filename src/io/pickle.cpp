#include "io/pickle.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>
#include <unordered_map>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"

namespace clipkit::io {

const PickleValue* PickleValue::get(std::string_view key) const {
  if (kind != Kind::dict) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k->kind == Kind::string && k->text == key) return v;
  }
  return nullptr;
}

const char* to_string(PickleValue::Kind kind) {
  using K = PickleValue::Kind;
  switch (kind) {
    case K::none: return "None";
    case K::boolean: return "bool";
    case K::integer: return "int";
    case K::floating: return "float";
    case K::string: return "str";
    case K::bytes: return "bytes";
    case K::tuple: return "tuple";
    case K::list: return "list";
    case K::dict: return "dict";
    case K::global: return "global";
    case K::object: return "object";
    case K::call: return "call";
    case K::persistent_id: return "persistent_id";
  }
  return "?";
}

bool pickle_global_allowed(std::string_view module, std::string_view name) {
  // TorchScript module classes: only ever instantiated as generic attribute bags.
  if (module == "__torch__" || module.starts_with("__torch__.")) return true;
  if (module == "collections" && name == "OrderedDict") return true;
  if (module == "torch._utils") {
    return name == "_rebuild_tensor_v2" || name == "_rebuild_parameter" ||
           name == "_rebuild_parameter_with_state";
  }
  if (module == "torch" || module == "torch.storage") {
    if (name.ends_with("Storage")) {
      static constexpr std::string_view kStorages[] = {
          "FloatStorage", "HalfStorage",  "BFloat16Storage", "DoubleStorage",
          "LongStorage",  "IntStorage",   "ShortStorage",    "CharStorage",
          "ByteStorage",  "BoolStorage",  "UntypedStorage",  "TypedStorage"};
      for (auto s : kStorages) {
        if (name == s) return true;
      }
      return false;
    }
    static constexpr std::string_view kDtypes[] = {
        "float32", "float", "float16", "half", "bfloat16", "float64", "double",
        "int64",   "long",  "int32",   "int",  "int16",    "short",   "int8",
        "uint8",   "bool"};
    for (auto d : kDtypes) {
      if (name == d) return true;
    }
  }
  return false;
}

namespace {

using Kind = PickleValue::Kind;

class Machine {
 public:
  Machine(std::span<const uint8_t> bytes, const std::string& name,
          std::vector<std::unique_ptr<PickleValue>>& arena)
      : reader_(bytes, name), name_(name), arena_(arena) {}

  PickleValue* run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorCode::corrupt_data,
                name_ + ": malformed pickle at byte " + std::to_string(op_pos_) + ": " + what);
  }
  // Reads go through the checked reader; the length is checked here first so that the
  // message names the opcode's position, as every other pickle error does.
  void need(uint64_t n) const {
    if (n > reader_.remaining()) {
      fail("needs " + std::to_string(n) + " more bytes, only " + std::to_string(reader_.remaining()) +
           " remain (truncated)");
    }
  }
  std::span<const uint8_t> take(uint64_t n) {
    need(n);
    return reader_.bytes(n);
  }
  uint8_t take_u8() {
    need(1);
    return reader_.u8();
  }
  uint64_t take_le(size_t n) {
    need(n);
    return reader_.uint_n(n, core::Endian::little);
  }
  std::string take_line() {
    const auto rest = reader_.rest();
    const auto newline = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
    if (newline == rest.end()) fail("unterminated GLOBAL name (truncated)");
    const auto line = take(static_cast<uint64_t>(newline - rest.begin()));
    take(1);
    return std::string(line.begin(), line.end());
  }
  PickleValue* make(Kind kind) {
    arena_.push_back(std::make_unique<PickleValue>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }
  void push(PickleValue* v) {
    if (stack_.size() >= kMaxPickleStack) {
      fail("stack exceeds " + std::to_string(kMaxPickleStack) + " entries");
    }
    stack_.push_back(v);
  }
  PickleValue* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleValue* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  // Entries above the innermost MARK may not be popped by non-mark opcodes.
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<PickleValue*> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  void memo_put(uint64_t index) {
    PickleValue* v = top();
    if (memo_.size() >= kMaxPickleMemo && !memo_.contains(index)) {
      fail("memo exceeds " + std::to_string(kMaxPickleMemo) + " entries");
    }
    memo_[index] = v;
  }
  PickleValue* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo key " + std::to_string(index) + " was never stored");
    return it->second;
  }
  PickleValue* make_string(Kind kind, uint64_t length) {
    PickleValue* v = make(kind);
    const auto text = take(length);
    v->text.assign(text.begin(), text.end());
    return v;
  }
  PickleValue* make_tuple(std::vector<PickleValue*> items) {
    PickleValue* v = make(Kind::tuple);
    v->items = std::move(items);
    return v;
  }
  PickleValue* make_global(std::string module, std::string name) {
    if (!pickle_global_allowed(module, name)) {
      throw Error(ErrorCode::unsupported,
                  name_ + ": pickle global '" + module + "." + name +
                      "' is not allowed (a checkpoint may only reference torch tensor, "
                      "storage and module globals)");
    }
    PickleValue* v = make(Kind::global);
    v->module = std::move(module);
    v->text = std::move(name);
    return v;
  }
  void set_items(PickleValue* dict, const std::vector<PickleValue*>& kv) {
    if (!dict->is(Kind::dict)) fail(std::string("SETITEM(S) on a ") + to_string(dict->kind));
    if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of stack items");
    // Python dicts keep one value per key: the last one set, at the place the key was
    // first inserted. An index per dict finds an existing string key in O(log n), so a
    // hostile dict of n keys costs O(n log n), not O(n²). An ordered map rather than a
    // hash map: the keys are the attacker's, and a fixed-seed hash can be flooded.
    auto& index = dict_keys_[dict];
    for (size_t i = 0; i < kv.size(); i += 2) {
      if (kv[i]->is(Kind::string)) {
        // The key's text lives in the arena, unchanged, for as long as the index does.
        const auto [it, inserted] = index.try_emplace(kv[i]->text, dict->entries.size());
        if (!inserted) {
          dict->entries[it->second].second = kv[i + 1];
          continue;
        }
      }
      dict->entries.emplace_back(kv[i], kv[i + 1]);
    }
  }
  void append_items(PickleValue* list, const std::vector<PickleValue*>& items) {
    if (!list->is(Kind::list)) fail(std::string("APPEND(S) on a ") + to_string(list->kind));
    list->items.insert(list->items.end(), items.begin(), items.end());
  }

  core::ByteReader reader_;
  const std::string& name_;
  std::vector<std::unique_ptr<PickleValue>>& arena_;
  uint64_t op_pos_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  // Per dict: string key -> its index in entries (set_items).
  std::unordered_map<const PickleValue*, std::map<std::string_view, size_t>> dict_keys_;
};

PickleValue* Machine::run() {
  for (;;) {
    op_pos_ = reader_.offset();
    const uint8_t op = take_u8();
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t proto = take_u8();
        if (proto > 5) fail("protocol " + std::to_string(proto) + " is newer than 5");
        break;
      }
      case 0x95: take(8); break;  // FRAME: a hint for buffered readers
      case '.': {                 // STOP
        if (!marks_.empty()) fail("STOP with an open MARK");
        if (stack_.size() != 1) {
          fail("STOP with " + std::to_string(stack_.size()) + " values on the stack, expected 1");
        }
        return stack_.back();
      }
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case '0': pop(); break;                              // POP
      case '1': pop_mark(); break;                         // POP_MARK
      case '2': push(top()); break;                        // DUP
      case '}': push(make(Kind::dict)); break;             // EMPTY_DICT
      case ']': push(make(Kind::list)); break;             // EMPTY_LIST
      case ')': push(make(Kind::tuple)); break;            // EMPTY_TUPLE
      case 'N': push(make(Kind::none)); break;             // NONE
      case 0x88: case 0x89: {                              // NEWTRUE / NEWFALSE
        PickleValue* v = make(Kind::boolean);
        v->boolean = op == 0x88;
        push(v);
        break;
      }
      case 'J': {  // BININT
        PickleValue* v = make(Kind::integer);
        v->integer = static_cast<int32_t>(static_cast<uint32_t>(take_le(4)));
        push(v);
        break;
      }
      case 'K': case 'M': {  // BININT1 / BININT2 (unsigned)
        PickleValue* v = make(Kind::integer);
        v->integer = static_cast<int64_t>(take_le(op == 'K' ? 1 : 2));
        push(v);
        break;
      }
      case 0x8a: case 0x8b: {  // LONG1 / LONG4: little-endian two's complement
        const uint64_t n = take_le(op == 0x8a ? 1 : 4);
        if (n > 8) fail("integer of " + std::to_string(n) + " bytes does not fit in 64 bits");
        PickleValue* v = make(Kind::integer);
        uint64_t u = n == 0 ? 0 : take_le(static_cast<size_t>(n));
        if (n > 0 && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t{0} << (8 * n);  // sign
        v->integer = static_cast<int64_t>(u);
        push(v);
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        need(8);
        PickleValue* v = make(Kind::floating);
        v->floating = std::bit_cast<double>(reader_.u64be());
        push(v);
        break;
      }
      case 'X': push(make_string(Kind::string, take_le(4))); break;     // BINUNICODE
      case 0x8d: push(make_string(Kind::string, take_le(8))); break;    // BINUNICODE8
      case 0x8c: push(make_string(Kind::string, take_le(1))); break;    // SHORT_BINUNICODE
      case 'B': push(make_string(Kind::bytes, take_le(4))); break;      // BINBYTES
      case 'C': push(make_string(Kind::bytes, take_le(1))); break;      // SHORT_BINBYTES
      case 0x8e: push(make_string(Kind::bytes, take_le(8))); break;     // BINBYTES8
      case 't': push(make_tuple(pop_mark())); break;                    // TUPLE
      case 0x85: {                                                      // TUPLE1
        PickleValue* a = pop();
        push(make_tuple({a}));
        break;
      }
      case 0x86: {  // TUPLE2
        PickleValue* b = pop();
        PickleValue* a = pop();
        push(make_tuple({a, b}));
        break;
      }
      case 0x87: {  // TUPLE3
        PickleValue* c = pop();
        PickleValue* b = pop();
        PickleValue* a = pop();
        push(make_tuple({a, b, c}));
        break;
      }
      case 'l': {  // LIST (from MARK)
        PickleValue* v = make(Kind::list);
        v->items = pop_mark();
        push(v);
        break;
      }
      case 'd': {  // DICT (from MARK)
        auto kv = pop_mark();
        PickleValue* v = make(Kind::dict);
        set_items(v, kv);
        push(v);
        break;
      }
      case 's': {  // SETITEM
        PickleValue* value = pop();
        PickleValue* key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {  // SETITEMS
        auto kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case 'a': {  // APPEND
        PickleValue* value = pop();
        append_items(top(), {value});
        break;
      }
      case 'e': {  // APPENDS
        auto items = pop_mark();
        append_items(top(), items);
        break;
      }
      case 'q': memo_put(take_le(1)); break;          // BINPUT
      case 'r': memo_put(take_le(4)); break;          // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;       // MEMOIZE
      case 'h': push(memo_get(take_le(1))); break;    // BINGET
      case 'j': push(memo_get(take_le(4))); break;    // LONG_BINGET
      case 'c': {                                     // GLOBAL
        std::string module = take_line();
        std::string name = take_line();
        push(make_global(std::move(module), std::move(name)));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (!module->is(Kind::string) || !name->is(Kind::string)) {
          fail("STACK_GLOBAL expects two strings");
        }
        push(make_global(module->text, name->text));
        break;
      }
      case 'R': {  // REDUCE
        PickleValue* args = pop();
        PickleValue* callee = pop();
        if (!callee->is(Kind::global)) fail(std::string("REDUCE on a ") + to_string(callee->kind));
        if (!args->is(Kind::tuple)) fail(std::string("REDUCE with a ") + to_string(args->kind) + " for arguments");
        if (callee->is_global("collections", "OrderedDict")) {
          PickleValue* dict = make(Kind::dict);
          if (!args->items.empty()) {  // OrderedDict([(k, v), ...])
            const PickleValue* pairs = args->items[0];
            if (args->items.size() != 1 || !pairs->is(Kind::list)) fail("OrderedDict arguments");
            for (PickleValue* pair : pairs->items) {
              if (!pair->is(Kind::tuple) || pair->items.size() != 2) fail("OrderedDict item");
              set_items(dict, pair->items);
            }
          }
          push(dict);
        } else {
          PickleValue* call = make(Kind::call);
          call->callee = callee;
          call->args = args;
          push(call);
        }
        break;
      }
      case 0x81: {  // NEWOBJ
        PickleValue* args = pop();
        PickleValue* cls = pop();
        if (!cls->is(Kind::global)) fail(std::string("NEWOBJ on a ") + to_string(cls->kind));
        if (!args->is(Kind::tuple)) fail("NEWOBJ arguments are not a tuple");
        if (cls->is_global("collections", "OrderedDict")) {
          push(make(Kind::dict));
          break;
        }
        PickleValue* obj = make(Kind::object);
        obj->callee = cls;
        obj->args = args;
        push(obj);
        break;
      }
      case 'b': {  // BUILD
        PickleValue* state = pop();
        PickleValue* target = top();
        if (target->is(Kind::object)) {
          target->state = state;
        } else if (!target->is(Kind::dict) && !target->is(Kind::call)) {
          // dict: OrderedDict attributes such as _metadata; call: tensor attributes.
          fail(std::string("BUILD on a ") + to_string(target->kind));
        }
        break;
      }
      case 'Q': {  // BINPERSID
        PickleValue* id = pop();
        PickleValue* v = make(Kind::persistent_id);
        v->args = id;
        push(v);
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("opcode ") + hex + " is not supported");
      }
    }
  }
}

}  // namespace

PickleData parse_pickle(std::span<const uint8_t> bytes, const std::string& display_name) {
  PickleData data;
  Machine machine(bytes, display_name, data.arena_);
  data.root_ = machine.run();
  return data;
}

}  // namespace clipkit::io
