// clipkit preprocess — the CLIP transform of one image (or the one a model's folder
// declares, with --model), written as a float32 .npy.
#include <fstream>

#include "common.hpp"

namespace clipkit::tools {

namespace {

void write_npy(const std::filesystem::path& path, std::span<const float> data, int size) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, " + std::to_string(size) + ", " +
                       std::to_string(size) + "), }";
  // Pad so the data starts on a 64-byte boundary, header ends with '\n' (npy v1).
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::invalid_argument, path.string() + ": cannot open for writing");
  const uint16_t len = static_cast<uint16_t>(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.put(static_cast<char>(len & 0xff));
  f.put(static_cast<char>(len >> 8));
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  if (!f) throw Error(ErrorCode::internal, path.string() + ": write failed");
}

}  // namespace

void add_preprocess(CLI::App& app, std::ostream& out) {
  struct Args {
    std::string image, output, model;
    int size = 224;
    bool no_exif = false;
    uint64_t max_pixels = 100'000'000;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "preprocess", "CLIP's image transform (or the one --model declares), written as a float32 CHW .npy");
  sub->add_option("-i,--image", args->image, "the image file")->required();
  auto* size = sub->add_option("--size", args->size, "output resolution")->check(CLI::Range(1, 4096))->capture_default_str();
  sub->add_option("--model", args->model,
                  "use the transform this model's folder declares (size, resize mode, interpolation, mean/std)")
      ->excludes(size);
  sub->add_flag("--no-exif", args->no_exif, "ignore EXIF orientation");
  sub->add_option("--max-pixels", args->max_pixels, "refuse larger images")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  sub->add_option("-o,--out", args->output, "output .npy file")->required();
  sub->callback([args, &out] {
    DecodeOptions decode;
    decode.apply_exif_orientation = !args->no_exif;
    decode.max_pixels = args->max_pixels;
    PreprocessOptions pre;
    pre.size = args->size;
    if (!args->model.empty()) {
      ModelOptions options;
      options.threads = 1;
      pre = Model::load(args->model, options)->info().preprocess;
    }
    auto tensor = clip_preprocess(decode_image_file(args->image, decode), pre);
    write_npy(args->output, tensor, pre.size);
    out << args->output << ": float32 (3, " << pre.size << ", " << pre.size << ")\n";
  });
}

}  // namespace clipkit::tools
