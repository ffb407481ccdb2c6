// _clipkit — the extension module behind `import clipkit` (python/clipkit/): clipkit's
// C++ API (Clip, Model, ImageIndex, label_scores) for Python, NumPy arrays in and out.
//
//   m = clipkit.load("ViT-B-32.pt", vocab="bpe_simple_vocab_16e6.txt.gz")
//   img = m.embed_images(["CLIP.png", rgb_uint8_array])   # (n, d) float32, unit rows
//   txt = m.embed_texts(["a diagram", "a dog"])           # (n, d)
//   m.label_probs(img, txt)                               # (n_images, n_texts)
//
// Conversions from Python objects (paths, texts, arrays) happen with the GIL held; every
// call that computes (load, preprocess, embed, tokenize, index add/search) then releases
// it, so Python threads calling one model run at once (a Model is immutable, its calls
// thread-safe: clipkit/clip.hpp). clipkit::Error becomes clipkit.Error's subclass for its
// code, with clipkit's message and the code's name in `.code`.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "clipkit/clipkit.hpp"

namespace py = pybind11;
using namespace py::literals;
using namespace clipkit;
namespace fs = std::filesystem;

namespace {

// ---- Errors -------------------------------------------------------------------------

// clipkit.Error and one subclass per ErrorCode (index = the code's value). Created once
// at import; the module holds them for the life of the process.
std::array<PyObject*, 6> error_classes{};

PyObject* make_error_class(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  const std::string qualified = std::string("clipkit.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (!cls) throw py::error_already_set();
  m.add_object(name, py::handle(cls));
  return cls;
}

void raise_error(ErrorCode code, const std::string& message) {
  PyObject* cls = error_classes[static_cast<size_t>(code)];
  // Messages name files, and a Linux path need not be UTF-8.
  py::object text = py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "replace"));
  if (!text) return;
  py::object exc = py::reinterpret_steal<py::object>(PyObject_CallOneArg(cls, text.ptr()));
  if (!exc) return;
  if (PyObject_SetAttrString(exc.ptr(), "code", py::str(to_string(code)).ptr()) != 0) return;
  PyErr_SetObject(cls, exc.ptr());
}

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::invalid_argument, message); }

// ---- Conversions (GIL held) -----------------------------------------------------------

// A str (encoded with the file-system encoding, surrogateescape: as os.fsencode), bytes
// or os.PathLike to the path's bytes.
fs::path to_path(py::handle obj) {
  py::object path = py::reinterpret_steal<py::object>(PyOS_FSPath(obj.ptr()));
  if (!path) throw py::error_already_set();
  if (PyUnicode_Check(path.ptr())) {
    path = py::reinterpret_steal<py::object>(PyUnicode_EncodeFSDefault(path.ptr()));
    if (!path) throw py::error_already_set();
  }
  char* data = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(path.ptr(), &data, &size) != 0) throw py::error_already_set();
  std::string bytes(data, static_cast<size_t>(size));
  if (bytes.find('\0') != std::string::npos) invalid("path contains a NUL byte");
  return fs::path(bytes);
}

// A path's bytes back as str, as os.fsdecode does (undecodable bytes as surrogates).
py::str path_str(const std::string& bytes) {
  PyObject* s = PyUnicode_DecodeFSDefaultAndSize(bytes.data(), static_cast<Py_ssize_t>(bytes.size()));
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

std::string utf8(py::handle text, const std::string& name) {
  if (!PyUnicode_Check(text.ptr()))
    throw py::type_error(name + " is " + std::string(py::str(py::type::of(text).attr("__name__"))) +
                         ", not str");
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (!data) throw py::error_already_set();
  return std::string(data, static_cast<size_t>(size));
}

// One str, or an iterable of them.
std::vector<std::string> to_texts(py::handle texts) {
  std::vector<std::string> out;
  if (PyUnicode_Check(texts.ptr())) {
    out.push_back(utf8(texts, "text"));
    return out;
  }
  if (PyBytes_Check(texts.ptr())) throw py::type_error("texts are str, not bytes (decode them first)");
  for (py::handle text : py::iter(texts)) out.push_back(utf8(text, "texts[" + std::to_string(out.size()) + "]"));
  if (out.empty()) invalid("texts is empty: give at least one text");
  return out;
}

std::string shape_string(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// One image as the caller gave it: a file, an encoded file in memory, or pixels.
struct ImageInput {
  enum class Kind { file, encoded, pixels } kind = Kind::file;
  std::string name;            // for messages: "images[2]"
  fs::path path;
  std::vector<uint8_t> bytes;  // encoded: a copy, so that no Python buffer is read without the GIL
  Image image;
};

// H×W (gray), H×W×1, H×W×3 (RGB) or H×W×4 (RGBA) uint8 pixels.
Image to_image(const py::array& a, const std::string& name) {
  if (a.dtype().kind() != 'u' || a.itemsize() != 1)
    invalid(name + ": array of dtype " + std::string(py::str(a.dtype())) +
            "; an image is a uint8 array of shape (H, W), (H, W, 3) RGB or (H, W, 4) RGBA");
  Image image;
  const py::ssize_t channels = a.ndim() == 3 ? a.shape(2) : 1;
  if ((a.ndim() != 2 && a.ndim() != 3) || (channels != 1 && channels != 3 && channels != 4))
    invalid(name + ": array of shape " + shape_string(a) +
            "; an image is (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA");
  if (a.shape(0) <= 0 || a.shape(1) <= 0) invalid(name + ": array of shape " + shape_string(a) + " has no pixels");
  if (a.shape(0) > INT32_MAX || a.shape(1) > INT32_MAX) invalid(name + ": array of shape " + shape_string(a) + " is too large");
  image.height = static_cast<int>(a.shape(0));
  image.width = static_cast<int>(a.shape(1));
  image.mode = channels == 1 ? PixelMode::gray : channels == 3 ? PixelMode::rgb : PixelMode::rgba;
  auto packed = py::array_t<uint8_t, py::array::c_style>::ensure(a);
  if (!packed) throw py::error_already_set();
  image.pixels.assign(packed.data(), packed.data() + packed.size());
  return image;
}

// A path (str, os.PathLike, bytes without a NUL byte — a path cannot hold one), encoded
// file contents (bytes holding a NUL byte, as every supported format's header does;
// bytearray, memoryview), or a uint8 array.
ImageInput to_image_input(py::handle obj, std::string name) {
  ImageInput in;
  in.name = std::move(name);
  if (py::isinstance<py::array>(obj)) {
    in.kind = ImageInput::Kind::pixels;
    in.image = to_image(py::reinterpret_borrow<py::array>(obj), in.name);
    return in;
  }
  const bool is_bytes = PyBytes_Check(obj.ptr());
  if (is_bytes) {
    const std::string_view bytes(PyBytes_AS_STRING(obj.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(obj.ptr())));
    if (bytes.find('\0') == std::string_view::npos) {
      in.path = to_path(obj);
      return in;
    }
  }
  if (is_bytes || PyByteArray_Check(obj.ptr()) || PyMemoryView_Check(obj.ptr())) {
    py::buffer_info buffer = py::reinterpret_borrow<py::buffer>(obj).request();
    if (buffer.ndim != 1 || buffer.itemsize != 1 || (buffer.ndim == 1 && buffer.strides[0] != 1))
      invalid(in.name + ": encoded image bytes must be a contiguous byte buffer");
    in.kind = ImageInput::Kind::encoded;
    const auto* data = static_cast<const uint8_t*>(buffer.ptr);
    in.bytes.assign(data, data + buffer.size);
    return in;
  }
  in.path = to_path(obj);
  return in;
}

bool is_single_image(py::handle obj) {
  if (py::isinstance<py::array>(obj)) return py::reinterpret_borrow<py::array>(obj).ndim() <= 3;
  return PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || PyByteArray_Check(obj.ptr()) ||
         PyMemoryView_Check(obj.ptr()) || PyObject_HasAttrString(obj.ptr(), "__fspath__");
}

// One image, a (N, H, W[, C]) uint8 batch, or an iterable of images.
std::vector<ImageInput> to_image_inputs(py::handle images) {
  std::vector<ImageInput> out;
  if (is_single_image(images)) {
    out.push_back(to_image_input(images, "image"));
    return out;
  }
  if (py::isinstance<py::array>(images)) {
    auto batch = py::reinterpret_borrow<py::array>(images);
    if (batch.ndim() != 4) invalid("images: array of shape " + shape_string(batch) + "; expected (N, H, W, C) uint8");
    for (py::ssize_t i = 0; i < batch.shape(0); ++i)
      out.push_back(to_image_input(batch[py::int_(i)], "images[" + std::to_string(i) + "]"));
  } else {
    for (py::handle image : py::iter(images))
      out.push_back(to_image_input(image, "images[" + std::to_string(out.size()) + "]"));
  }
  if (out.empty()) invalid("images is empty: give at least one image");
  return out;
}

// Hands a vector's buffer to NumPy without a copy (the array owns it).
template <class T>
py::array_t<T> to_array(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owned->data(), owner);
}

// ---- Model ------------------------------------------------------------------------------

std::atomic<uint64_t> next_serial{1};

// A loaded Clip, plus the identity an index records (embeds a probe text and image:
// computed once, on the first index search that needs it).
struct PyModel {
  explicit PyModel(Clip loaded) : clip(std::move(loaded)), serial(next_serial++) {}
  Clip clip;
  uint64_t serial;  // tells models apart for an index's check cache

  const ModelIdentity& identity() const {
    std::call_once(identity_once_, [this] { identity_ = identify(clip); });
    return *identity_;
  }
  size_t dim() const { return static_cast<size_t>(clip.model().embed_dim()); }

 private:
  mutable std::once_flag identity_once_;
  mutable std::optional<ModelIdentity> identity_;
};

std::vector<float> preprocess(const Clip& clip, const ImageInput& in) {
  const PreprocessOptions& transform = clip.model().info().preprocess;
  switch (in.kind) {
    case ImageInput::Kind::file: return clip.preprocess_file(in.path);
    case ImageInput::Kind::encoded:
      return clip_preprocess(decode_image_memory(in.bytes, in.name, clip.options().decode), transform);
    case ImageInput::Kind::pixels: return clip_preprocess(in.image, transform);
  }
  throw Error(ErrorCode::internal, "unknown image input kind");
}

// GIL released. Files only: Clip::embed_image_files (decodes the next batch while the
// model runs this one); otherwise batches of 16 preprocessed images.
std::vector<float> embed_images(const Clip& clip, const std::vector<ImageInput>& inputs) {
  bool all_files = true;
  for (const ImageInput& in : inputs) all_files = all_files && in.kind == ImageInput::Kind::file;
  if (all_files) {
    std::vector<fs::path> paths;
    for (const ImageInput& in : inputs) paths.push_back(in.path);
    return clip.embed_image_files(paths);
  }
  constexpr size_t kBatch = 16;
  std::vector<float> out, pixels;
  size_t pending = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<float> one = preprocess(clip, inputs[i]);
    pixels.insert(pixels.end(), one.begin(), one.end());
    if (++pending == kBatch || i + 1 == inputs.size()) {
      const std::vector<float> part = clip.model().encode_images(pixels, pending);
      out.insert(out.end(), part.begin(), part.end());
      pixels.clear();
      pending = 0;
    }
  }
  return out;
}

std::shared_ptr<PyModel> load(py::object path, py::object vocab, py::object text_model, const std::string& precision,
                              int threads, bool exif, uint64_t max_pixels, bool truncate,
                              std::optional<std::string> activation) {
  ClipOptions options;
  if (!vocab.is_none()) options.vocab = to_path(vocab);
  if (!text_model.is_none()) options.model.text_model = to_path(text_model);
  options.model.precision = parse_precision(precision);
  if (activation) options.model.activation = parse_activation(*activation);
  if (threads < 0) invalid("threads is " + std::to_string(threads) + ": use 0 for all cores");
  if (max_pixels == 0) invalid("max_pixels is 0");
  options.model.threads = threads;
  options.decode.apply_exif_orientation = exif;
  options.decode.max_pixels = max_pixels;
  options.truncate = truncate;
  fs::path model_path;
  if (!path.is_none()) {
    model_path = to_path(path);
  } else if (const char* env = std::getenv("CLIPKIT_MODEL"); env && *env) {
    model_path = env;
  } else if (auto embedded = default_model_path()) {
    model_path = *embedded;
  } else {
    throw Error(ErrorCode::not_found,
                "no model path given, $CLIPKIT_MODEL is not set and the embedded emoji-clip model is not installed");
  }
  py::gil_scoped_release release;
  return std::make_shared<PyModel>(Clip::load(model_path, options));
}

// Rows of `dim` floats: (dim,) is one row, (n, dim) n rows.
size_t rows_of(const py::array& a, size_t dim, const char* name) {
  if ((a.ndim() != 1 && a.ndim() != 2) || static_cast<size_t>(a.shape(a.ndim() - 1)) != dim || a.size() == 0)
    invalid(std::string(name) + ": array of shape " + shape_string(a) + "; expected (n, " + std::to_string(dim) +
            ") or (" + std::to_string(dim) + ",)");
  return a.ndim() == 1 ? 1 : static_cast<size_t>(a.shape(0));
}

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using TokenArray = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

py::array_t<float> model_label_probs(const PyModel& m, const FloatArray& images, const FloatArray& texts) {
  const size_t dim = m.dim();
  const size_t image_count = rows_of(images, dim, "images");
  const size_t text_count = rows_of(texts, dim, "texts");
  std::vector<float> scores;
  {
    py::gil_scoped_release release;
    scores.reserve(image_count * text_count);
    const std::span<const float> text_rows(texts.data(), text_count * dim);
    for (size_t i = 0; i < image_count; ++i) {
      const auto row = label_scores(std::span(images.data() + i * dim, dim), text_rows, m.clip.model());
      scores.insert(scores.end(), row.begin(), row.end());
    }
  }
  if (images.ndim() == 1) return to_array(std::move(scores), {static_cast<py::ssize_t>(text_count)});
  return to_array(std::move(scores), {static_cast<py::ssize_t>(image_count), static_cast<py::ssize_t>(text_count)});
}

py::array_t<int32_t> model_tokenize(const PyModel& m, py::handle texts, std::optional<int> context_length,
                              std::optional<bool> truncate) {
  const std::vector<std::string> rows_of_text = to_texts(texts);
  const int context = context_length.value_or(m.clip.model().context_length());
  std::vector<int32_t> rows;
  {
    py::gil_scoped_release release;
    if (!context_length && !truncate) {
      rows = m.clip.tokenize(rows_of_text);  // the model's context, options and empty-text check
    } else {
      rows.reserve(rows_of_text.size() * static_cast<size_t>(std::max(context, 0)));
      for (const std::string& text : rows_of_text) {
        const auto row = m.clip.tokenizer().tokenize(text, context, truncate.value_or(m.clip.options().truncate));
        rows.insert(rows.end(), row.begin(), row.end());
      }
    }
  }
  return to_array(std::move(rows), {static_cast<py::ssize_t>(rows_of_text.size()), context});
}

py::array_t<float> encode_pixels(const PyModel& m, const FloatArray& pixels) {
  const py::ssize_t size = m.clip.model().image_size();
  const bool one = pixels.ndim() == 3;
  if ((pixels.ndim() != 3 && pixels.ndim() != 4) || pixels.shape(pixels.ndim() - 3) != 3 ||
      pixels.shape(pixels.ndim() - 2) != size || pixels.shape(pixels.ndim() - 1) != size || pixels.size() == 0)
    invalid("pixels: array of shape " + shape_string(pixels) + "; the model takes (n, 3, " + std::to_string(size) +
            ", " + std::to_string(size) + ") or (3, " + std::to_string(size) + ", " + std::to_string(size) +
            ") (preprocess's output)");
  const size_t count = one ? 1 : static_cast<size_t>(pixels.shape(0));
  std::vector<float> out;
  {
    py::gil_scoped_release release;
    out = m.clip.model().encode_images(std::span(pixels.data(), static_cast<size_t>(pixels.size())), count);
  }
  return to_array(std::move(out), {static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(m.dim())});
}

py::array_t<float> encode_tokens(const PyModel& m, const TokenArray& tokens) {
  const py::ssize_t context = m.clip.model().context_length();
  if ((tokens.ndim() != 1 && tokens.ndim() != 2) || tokens.shape(tokens.ndim() - 1) != context || tokens.size() == 0)
    invalid("tokens: array of shape " + shape_string(tokens) + "; the model takes (n, " + std::to_string(context) +
            ") token rows (tokenize's output)");
  const size_t count = tokens.ndim() == 1 ? 1 : static_cast<size_t>(tokens.shape(0));
  std::vector<float> out;
  {
    py::gil_scoped_release release;
    out = m.clip.model().encode_tokens(std::span(tokens.data(), static_cast<size_t>(tokens.size())), count);
  }
  return to_array(std::move(out), {static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(m.dim())});
}

// ---- Index ------------------------------------------------------------------------------

// add() must not run with anything else on one ImageIndex; searches may run together.
struct PyIndex {
  std::unique_ptr<ImageIndex> index;
  std::shared_mutex mutex;
  uint64_t checked_serial = 0;  // the last model found to be the index's (PyModel::serial)
};

// A text or image query only means something in the space of the model that made the
// vectors: checked as the CLI and the C API do, once per model.
void check_model(PyIndex& ix, const PyModel& model) {
  std::unique_lock lock(ix.mutex);
  if (ix.checked_serial == model.serial) return;
  if (!ix.index->stats().model) return;  // nothing indexed yet: nothing to compare
  ix.index->bind_model(model.identity());
  ix.checked_serial = model.serial;
}

py::dict stats_dict(const IndexStats& s) {
  py::dict d("files"_a = s.files, "vectors"_a = s.vectors, "errors"_a = s.errors, "dim"_a = s.dim,
             "vector_type"_a = to_string(s.vector_type), "hnsw_fresh"_a = s.hnsw_fresh);
  if (s.model)
    d["model"] = py::dict("model_path"_a = path_str(s.model->model_path),
                          "text_model_path"_a = path_str(s.model->text_model_path),
                          "vocab_path"_a = path_str(s.model->vocab_path), "description"_a = s.model->description,
                          "dim"_a = s.model->dim);
  else
    d["model"] = py::none();
  return d;
}

}  // namespace

PYBIND11_MODULE(_clipkit, m) {
  m.doc() = "clipkit's C++ API (the clipkit package wraps it: import clipkit)";
  m.attr("__version__") = version();

  PyObject* base = make_error_class(m, "Error", PyExc_Exception,
                                    "A clipkit failure; .code is its kind (\"not_found\", \"corrupt_data\", ...).");
  auto derived = [&](const char* name, PyObject* builtin, const char* doc) {
    py::tuple bases = py::make_tuple(py::handle(base), py::handle(builtin));
    return make_error_class(m, name, bases.ptr(), doc);
  };
  error_classes[static_cast<size_t>(ErrorCode::invalid_argument)] =
      derived("InvalidArgumentError", PyExc_ValueError, "An unusable argument: empty text, wrong array shape.");
  error_classes[static_cast<size_t>(ErrorCode::not_found)] =
      derived("NotFoundError", PyExc_FileNotFoundError, "A file, tensor or key that should exist does not.");
  error_classes[static_cast<size_t>(ErrorCode::corrupt_data)] =
      derived("CorruptDataError", PyExc_ValueError, "Bytes that do not parse: a truncated or malformed file.");
  error_classes[static_cast<size_t>(ErrorCode::unsupported)] =
      derived("UnsupportedError", PyExc_ValueError, "Valid input that clipkit does not handle.");
  error_classes[static_cast<size_t>(ErrorCode::resource_exhausted)] =
      derived("ResourceExhaustedError", PyExc_ValueError, "Over a configured cap (pixel count, size).");
  error_classes[static_cast<size_t>(ErrorCode::internal)] =
      derived("InternalError", PyExc_RuntimeError, "A bug in clipkit.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise_error(e.code(), e.what());
    }
  });

  m.def("compute_backend", &compute_backend, "The matrix-product backend and the CPU path it chose.");
  m.def(
      "default_model_path",
      []() -> py::object {
        auto path = default_model_path();
        return path ? py::object(path_str(path->string())) : py::object(py::none());
      },
      "The embedded emoji-clip model's folder, or None when it is not installed.");

  py::class_<PyModel, std::shared_ptr<PyModel>>(m, "Model",
                                                 "A loaded model with its tokenizer and image transform "
                                                 "(clipkit.load). Immutable; every method may run in many "
                                                 "threads at once.")
      .def_property_readonly("embed_dim", [](const PyModel& self) { return self.clip.model().embed_dim(); })
      .def_property_readonly("image_size", [](const PyModel& self) { return self.clip.model().image_size(); })
      .def_property_readonly("context_length",
                             [](const PyModel& self) { return self.clip.model().context_length(); })
      .def_property_readonly("logit_scale", [](const PyModel& self) { return self.clip.model().logit_scale(); },
                             "exp(logit_scale) as stored")
      .def_property_readonly("logit_bias", [](const PyModel& self) { return self.clip.model().logit_bias(); })
      .def_property_readonly("scoring",
                             [](const PyModel& self) { return std::string(to_string(self.clip.model().scoring())); })
      .def_property_readonly("path", [](const PyModel& self) { return path_str(self.clip.model().info().path.string()); })
      .def_property_readonly("vocab_size", [](const PyModel& self) { return self.clip.tokenizer().vocab_size(); })
      .def("info_json", [](const PyModel& self) { return model_info_json(self.clip.model()); },
           "What was loaded, as `clipkit info --json` prints it.")
      .def(
          "embed_images",
          [](const PyModel& self, py::handle images, bool raw) {
            const std::vector<ImageInput> inputs = to_image_inputs(images);
            std::vector<float> out;
            {
              py::gil_scoped_release release;
              out = embed_images(self.clip, inputs);
              if (!raw) normalize_rows(out, self.dim());
            }
            return to_array(std::move(out), {static_cast<py::ssize_t>(inputs.size()),
                                             static_cast<py::ssize_t>(self.dim())});
          },
          "images"_a, py::kw_only(), "raw"_a = false,
          "(n, embed_dim) float32 embeddings of images: paths (str, os.PathLike, bytes), encoded files "
          "(bytes holding a NUL byte, bytearray, memoryview), uint8 arrays (H, W) / (H, W, 3) RGB / "
          "(H, W, 4) RGBA, a list of those or an (N, H, W, C) array. Unit rows; raw=True: the "
          "projections (OpenAI's encode_image).")
      .def(
          "embed_texts",
          [](const PyModel& self, py::handle texts, bool raw) {
            const std::vector<std::string> rows = to_texts(texts);
            std::vector<float> out;
            {
              py::gil_scoped_release release;
              out = self.clip.embed_texts(rows);
              if (!raw) normalize_rows(out, self.dim());
            }
            return to_array(std::move(out), {static_cast<py::ssize_t>(rows.size()),
                                             static_cast<py::ssize_t>(self.dim())});
          },
          "texts"_a, py::kw_only(), "raw"_a = false,
          "(n, embed_dim) float32 embeddings of a str or a list of str. Unit rows; raw=True: the "
          "projections (OpenAI's encode_text).")
      .def("tokenize", &model_tokenize, "texts"_a, "context_length"_a = py::none(), "truncate"_a = py::none(),
           "(n, context_length) int32 token rows. Without arguments: the model's context and load()'s "
           "truncate, and an empty text is an error; with them, as OpenAI's clip.tokenize.")
      .def("label_probs", &model_label_probs, "images"_a, "texts"_a,
           "The model's label scores (CLIP: softmax over the texts; SigLIP: a sigmoid per text) of "
           "image embeddings (n, d) or (d,) against text embeddings (m, d): (n, m), or (m,) for one image.")
      .def(
          "preprocess",
          [](const PyModel& self, py::handle image) {
            ImageInput input = to_image_input(image, "image");
            std::vector<float> chw;
            {
              py::gil_scoped_release release;
              chw = preprocess(self.clip, input);
            }
            const py::ssize_t size = self.clip.model().image_size();
            return to_array(std::move(chw), {3, size, size});
          },
          "image"_a, "The model's transform of one image: (3, image_size, image_size) float32.")
      .def("encode_images", &encode_pixels, "pixels"_a,
           "Raw image projections of preprocessed pixels (n, 3, s, s) or (3, s, s): (n, embed_dim).")
      .def("encode_tokens", &encode_tokens, "tokens"_a,
           "Raw text projections of token rows (n, context_length) or (context_length,): (n, embed_dim).")
      .def("__repr__", [](const PyModel& self) {
        const ModelInfo& info = self.clip.model().info();
        return "<clipkit.Model " + info.family + " " + info.architecture + " (" + info.format + ", " + info.dtype +
               "), " + std::to_string(self.clip.model().embed_dim()) + "-d>";
      });

  m.def(
      "load", &load, "path"_a = py::none(), py::kw_only(), "vocab"_a = py::none(), "text_model"_a = py::none(),
      "precision"_a = "fp32", "threads"_a = 0, "exif"_a = true, "max_pixels"_a = uint64_t{100'000'000},
      "truncate"_a = true, "activation"_a = py::none(),
      "Loads a checkpoint file (.pt, .safetensors) or folder; no path: $CLIPKIT_MODEL, else the "
      "embedded emoji-clip model.");

  py::class_<PyIndex>(m, "ImageIndex", "An image search database (clipkit.Index wraps it).")
      .def(py::init([](py::handle path, bool create) {
             const fs::path db = to_path(path);
             auto ix = std::make_unique<PyIndex>();
             py::gil_scoped_release release;
             ix->index = ImageIndex::open(db, create);
             return ix;
           }),
           "path"_a, "create"_a = true)
      .def_property_readonly("path", [](const PyIndex& self) { return path_str(self.index->path().string()); })
      .def("stats",
           [](PyIndex& self) {
             IndexStats s;
             {
               py::gil_scoped_release release;
               std::shared_lock lock(self.mutex);
               s = self.index->stats();
             }
             return stats_dict(s);
           })
      .def(
          "check_model",
          [](PyIndex& self, const PyModel& model) {
            py::gil_scoped_release release;
            check_model(self, model);
          },
          "model"_a)
      .def(
          "add",
          [](PyIndex& self, const PyModel& model, py::handle paths) {
            std::vector<fs::path> roots;
            if (is_single_image(paths) && !py::isinstance<py::array>(paths)) {
              roots.push_back(to_path(paths));
            } else {
              for (py::handle path : py::iter(paths)) roots.push_back(to_path(path));
            }
            if (roots.empty()) invalid("paths is empty: give at least one file or folder");
            IndexReport r;
            {
              py::gil_scoped_release release;
              std::unique_lock lock(self.mutex);
              r = self.index->add(model.clip, roots);
              self.checked_serial = model.serial;  // add() has bound this model
            }
            py::list errors;
            for (const auto& [path, reason] : r.error_files) errors.append(py::make_tuple(path_str(path), reason));
            return py::dict("scanned"_a = r.scanned, "unchanged"_a = r.unchanged, "embedded"_a = r.embedded,
                            "renamed"_a = r.renamed, "reused"_a = r.reused, "removed"_a = r.removed,
                            "errors"_a = r.errors, "repaired"_a = r.repaired, "error_files"_a = errors,
                            "seconds"_a = r.seconds);
          },
          "model"_a, "paths"_a)
      .def(
          "search",
          [](PyIndex& self, const FloatArray& vector, size_t k, std::optional<float> threshold,
             std::optional<int64_t> exclude) {
            if (vector.ndim() != 1 || vector.size() == 0)
              invalid("query vector: array of shape " + shape_string(vector) + "; expected (dim,)");
            if (k == 0) invalid("k is 0");
            SearchOptions options;
            options.k = k;
            options.threshold = threshold;
            options.exclude = exclude;
            std::vector<SearchHit> hits;
            {
              py::gil_scoped_release release;
              const std::vector<float> query = normalized(std::span(vector.data(), static_cast<size_t>(vector.size())));
              std::shared_lock lock(self.mutex);
              hits = self.index->search(query, options);
            }
            py::list out;
            for (const SearchHit& hit : hits) out.append(py::make_tuple(path_str(hit.path), hit.score));
            return out;
          },
          "vector"_a, "k"_a = 10, "threshold"_a = py::none(), "exclude"_a = py::none());
}
