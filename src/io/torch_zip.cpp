#include "io/torch_zip.hpp"

#include <optional>

#include "clipkit/error.hpp"
#include "io/pickle.hpp"
#include "io/zip_reader.hpp"

namespace clipkit::io {
namespace {

using Kind = PickleValue::Kind;

std::optional<DType> dtype_of_storage_name(std::string_view name) {
  struct Pair { std::string_view name; DType dtype; };
  static constexpr Pair kTable[] = {
      {"FloatStorage", DType::f32},  {"HalfStorage", DType::f16}, {"BFloat16Storage", DType::bf16},
      {"DoubleStorage", DType::f64}, {"LongStorage", DType::i64}, {"IntStorage", DType::i32},
      {"ShortStorage", DType::i16},  {"CharStorage", DType::i8},  {"ByteStorage", DType::u8},
      {"BoolStorage", DType::boolean}, {"UntypedStorage", DType::u8},
      {"float32", DType::f32}, {"float", DType::f32}, {"float16", DType::f16},
      {"half", DType::f16}, {"bfloat16", DType::bf16}, {"float64", DType::f64},
      {"double", DType::f64}, {"int64", DType::i64}, {"long", DType::i64},
      {"int32", DType::i32}, {"int", DType::i32}, {"int16", DType::i16},
      {"short", DType::i16}, {"int8", DType::i8}, {"uint8", DType::u8}, {"bool", DType::boolean}};
  for (const Pair& p : kTable) {
    if (p.name == name) return p.dtype;
  }
  return std::nullopt;
}

// What reading may cost, so that a small archive cannot make the reader walk or allocate
// without bound: pickle memo references make a DAG, so a module referenced twice at each
// level of a 64-deep tree is 2^64 walks, and one storage named by 10^5 tensors is 10^5
// fp32 copies. Module visits, the names built and the fp32 bytes materialised all count
// against 8 x the archive's size + 16 MiB (a real checkpoint needs at most 4 x: u8/bool
// storages widened to fp32, or 2 x an fp16 file with tied weights).
class Budget {
 public:
  Budget(uint64_t archive_bytes, const std::string& file)
      : limit_(kFactor * archive_bytes + kSlack), left_(limit_), file_(file) {}

  void spend(uint64_t bytes) {
    if (bytes > left_) {
      throw Error(ErrorCode::corrupt_data,
                  file_ + ": the archive expands past " + std::to_string(limit_) +
                      " bytes of tensors and names (8 x its size + 16 MiB): modules or storages "
                      "shared by too many names");
    }
    left_ -= bytes;
  }

  static constexpr uint64_t kModuleVisitCost = 1024;

 private:
  static constexpr uint64_t kFactor = 8;
  static constexpr uint64_t kSlack = uint64_t{16} << 20;
  uint64_t limit_;
  uint64_t left_;
  const std::string& file_;
};

class Reader {
 public:
  Reader(const ZipReader& zip, std::string root, const std::string& file, Budget& budget)
      : zip_(zip), root_(std::move(root)), file_(file), budget_(budget) {}

  // The rebuilt tensor if `v` is one (a _rebuild_tensor_v2 / _rebuild_parameter call).
  bool is_tensor(const PickleValue& v) const {
    if (!v.is(Kind::call) || v.callee == nullptr) return false;
    return v.callee->module == "torch._utils" &&
           (v.callee->text == "_rebuild_tensor_v2" || v.callee->text == "_rebuild_parameter" ||
            v.callee->text == "_rebuild_parameter_with_state");
  }

  void add_tensor(const std::string& name, const PickleValue& v, TensorSet& out) {
    budget_.spend(name.size());
    out.tensors[name] = rebuild(name, v, out, 0);
  }

  Budget& budget() { return budget_; }

 private:
  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    throw Error(ErrorCode::corrupt_data, file_ + ": tensor '" + tensor + "': " + what);
  }

  int64_t int_arg(const std::string& tensor, const PickleValue* v, const char* what) const {
    if (v == nullptr || !v->is(Kind::integer)) fail(tensor, std::string(what) + " is not an integer");
    return v->integer;
  }

  std::vector<int64_t> int_tuple(const std::string& tensor, const PickleValue* v,
                                 const char* what) const {
    if (v == nullptr || !v->is(Kind::tuple)) fail(tensor, std::string(what) + " is not a tuple");
    std::vector<int64_t> out;
    for (const PickleValue* item : v->items) {
      const int64_t x = int_arg(tensor, item, what);
      if (x < 0) fail(tensor, std::string(what) + " has a negative entry " + std::to_string(x));
      out.push_back(x);
    }
    return out;
  }

  Tensor rebuild(const std::string& name, const PickleValue& v, TensorSet& out, int depth) {
    const auto& args = v.args->items;
    if (v.callee->text != "_rebuild_tensor_v2") {  // a Parameter wrapping a tensor
      if (args.empty() || depth > 2 || !is_tensor(*args[0])) {
        fail(name, "_rebuild_parameter without a tensor argument");
      }
      return rebuild(name, *args[0], out, depth + 1);
    }
    if (args.size() < 4) {
      fail(name, "_rebuild_tensor_v2 takes at least 4 arguments, got " + std::to_string(args.size()));
    }
    // Persistent id: ('storage', storage type, key, location, numel).
    const PickleValue* pid = args[0];
    if (!pid->is(Kind::persistent_id) || !pid->args->is(Kind::tuple) ||
        pid->args->items.size() < 5 || !pid->args->items[0]->is(Kind::string) ||
        pid->args->items[0]->text != "storage") {
      fail(name, "storage is not a ('storage', type, key, location, numel) persistent id");
    }
    const auto& id = pid->args->items;
    if (!id[1]->is(Kind::global)) fail(name, "storage type is not a global");
    const auto dtype = dtype_of_storage_name(id[1]->text);
    if (!dtype) {
      throw Error(ErrorCode::unsupported, file_ + ": tensor '" + name + "': storage type " +
                                              id[1]->module + "." + id[1]->text +
                                              " is not supported");
    }
    if (!id[2]->is(Kind::string)) fail(name, "storage key is not a string");
    const int64_t storage_numel = int_arg(name, id[4], "storage numel");
    if (storage_numel < 0) fail(name, "negative storage numel " + std::to_string(storage_numel));

    const std::string entry_name = root_ + "/data/" + id[2]->text;
    const ZipEntry* entry = zip_.find(entry_name);
    if (entry == nullptr) fail(name, "missing data entry '" + entry_name + "'");
    const std::span<const uint8_t> storage = zip_.stored_data(*entry);
    const auto storage_bytes = checked_mul(storage_numel, static_cast<int64_t>(dtype_size(*dtype)));
    if (!storage_bytes || static_cast<uint64_t>(*storage_bytes) != storage.size()) {
      fail(name, "storage '" + entry_name + "' holds " + std::to_string(storage.size()) +
                     " bytes, expected " + std::to_string(storage_numel) + " x " +
                     dtype_name(*dtype) + " = " +
                     (storage_bytes ? std::to_string(*storage_bytes) : std::string("overflow")) +
                     " bytes");
    }

    const int64_t offset = int_arg(name, args[1], "storage offset");
    const std::vector<int64_t> size = int_tuple(name, args[2], "size");
    const std::vector<int64_t> stride = int_tuple(name, args[3], "stride");
    if (offset < 0) fail(name, "negative storage offset " + std::to_string(offset));
    if (size.size() != stride.size()) {
      fail(name, "size " + shape_string(size) + " and stride " + shape_string(stride) +
                     " differ in rank");
    }
    const auto numel = checked_numel(size);
    if (!numel) fail(name, "shape " + shape_string(size) + " overflows");
    Tensor t;
    t.shape = size;
    if (*numel == 0) return t;
    // The highest storage element the view touches must lie inside the storage.
    int64_t last = offset;
    for (size_t i = 0; i < size.size(); ++i) {
      const auto span = checked_mul(size[i] - 1, stride[i]);
      if (!span || __builtin_add_overflow(last, *span, &last)) {
        fail(name, "view size " + shape_string(size) + " stride " + shape_string(stride) +
                       " overflows");
      }
    }
    if (last >= storage_numel || *numel > storage_numel) {
      fail(name, "view (offset " + std::to_string(offset) + ", size " + shape_string(size) +
                     ", stride " + shape_string(stride) + ") reaches element " +
                     std::to_string(last) + " of a storage of " + std::to_string(storage_numel));
    }
    budget_.spend(static_cast<uint64_t>(*numel) * sizeof(float));
    t.data.resize(static_cast<size_t>(*numel));
    bool contiguous = true;
    int64_t expected = 1;
    for (size_t i = size.size(); i-- > 0;) {
      if (size[i] != 1 && stride[i] != expected) contiguous = false;
      expected *= size[i];
    }
    if (contiguous) {
      widen_to_f32(*dtype, storage.data() + static_cast<size_t>(offset) * dtype_size(*dtype),
                   t.data.size(), t.data.data());
    } else {
      // Odometer over the view's indices, in row-major order. A dimension of extent 1
      // never moves, whatever its stride (which may be anything, even INT64_MAX: the
      // bounds check above ignores it), so it steps by 0.
      std::vector<int64_t> step(stride);
      for (size_t d = 0; d < size.size(); ++d) {
        if (size[d] == 1) step[d] = 0;
      }
      std::vector<int64_t> index(size.size(), 0);
      int64_t position = offset;
      for (size_t n = 0; n < t.data.size(); ++n) {
        t.data[n] = load_as_f32(*dtype, storage.data(), static_cast<size_t>(position));
        for (size_t d = size.size(); d-- > 0;) {
          position += step[d];
          if (++index[d] < size[d]) break;
          position -= step[d] * size[d];
          index[d] = 0;
        }
      }
    }
    out.stored_elements[*dtype] += *numel;
    return t;
  }

  const ZipReader& zip_;
  std::string root_;
  const std::string& file_;
  Budget& budget_;
};

void walk_module(Reader& reader, const PickleValue& module, const std::string& prefix, int depth,
                 const std::string& file, TensorSet& out) {
  if (depth > kMaxModuleDepth) {
    throw Error(ErrorCode::corrupt_data, file + ": module tree deeper than " +
                                             std::to_string(kMaxModuleDepth) + " at '" + prefix +
                                             "' (cyclic?)");
  }
  reader.budget().spend(Budget::kModuleVisitCost);
  if (module.state == nullptr) return;
  if (!module.state->is(Kind::dict)) return;  // e.g. a custom __setstate__ tuple: no attributes
  for (const auto& [key, value] : module.state->entries) {
    if (!key->is(Kind::string)) continue;
    reader.budget().spend(prefix.size() + key->text.size());
    const std::string name = prefix + key->text;
    if (reader.is_tensor(*value)) {
      reader.add_tensor(name, *value, out);
    } else if (value->is(Kind::object)) {
      walk_module(reader, *value, name + ".", depth + 1, file, out);
    }
  }
}

}  // namespace

TorchZipContents read_torch_zip(std::span<const uint8_t> bytes, const std::string& display_name) {
  if (bytes.empty()) throw Error(ErrorCode::corrupt_data, display_name + ": file is empty");
  // torch < 1.6 wrote a bare pickle stream starting with a magic number.
  if (bytes.size() >= 3 && bytes[0] == 0x80 && bytes[1] == 0x02 && bytes[2] == 0x8a) {
    throw Error(ErrorCode::unsupported,
                display_name + ": legacy (pre-1.6, non-zip) torch serialization is not supported; "
                               "re-save it with a newer torch");
  }
  ZipReader zip(bytes, display_name);
  TorchZipContents contents;
  const ZipEntry* pickle_entry = nullptr;
  for (const ZipEntry& e : zip.entries()) {
    const auto slash = e.name.find('/');
    if (slash != std::string::npos && slash > 0 && e.name.substr(slash) == "/data.pkl") {
      pickle_entry = &e;
      contents.root = e.name.substr(0, slash);
      break;
    }
  }
  if (pickle_entry == nullptr) {
    throw Error(ErrorCode::unsupported,
                display_name + ": a zip archive without a <root>/data.pkl entry, not a torch "
                               "checkpoint (" + std::to_string(zip.entries().size()) + " entries)");
  }
  const std::vector<uint8_t> pickle_bytes = zip.read(*pickle_entry);
  const PickleData pickle = parse_pickle(pickle_bytes, display_name + ":" + pickle_entry->name);
  Budget budget(bytes.size(), display_name);
  Reader reader(zip, contents.root, display_name, budget);

  const PickleValue* root = &pickle.root();
  if (root->is(Kind::object)) {
    contents.kind = TorchZipKind::torchscript;
    walk_module(reader, *root, "", 0, display_name, contents.tensors);
    return contents;
  }
  if (!root->is(Kind::dict)) {
    throw Error(ErrorCode::unsupported, display_name + ": data.pkl holds a " +
                                            to_string(root->kind) +
                                            ", expected a state dict or a TorchScript module");
  }
  contents.kind = TorchZipKind::state_dict;
  for (const char* key : {"state_dict", "model"}) {
    const PickleValue* nested = root->get(key);
    if (nested != nullptr && nested->is(Kind::dict)) {
      root = nested;
      break;
    }
  }
  for (const auto& [key, value] : root->entries) {
    if (!key->is(Kind::string) || !reader.is_tensor(*value)) continue;
    std::string name = key->text;
    if (name.starts_with("module.")) name.erase(0, 7);
    reader.add_tensor(name, *value, contents.tensors);
  }
  return contents;
}

}  // namespace clipkit::io
