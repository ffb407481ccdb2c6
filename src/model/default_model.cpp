// default_model_path: where the embedded emoji-clip model is, for a program or a binding
// that names no model.
#include <dlfcn.h>

#include <filesystem>
#include <optional>
#include <system_error>

#include "clipkit/model.hpp"

namespace clipkit {

namespace {

namespace fs = std::filesystem;

// The file this function's code was loaded from: libclipkit.so when clipkit is a shared
// library, else the program itself. Empty when the loader cannot say.
fs::path this_object_file() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&this_object_file), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  const fs::path file = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path() : file;
}

}  // namespace

std::optional<std::filesystem::path> default_model_path() {
  std::error_code ec;
  const fs::path model_under_prefix = fs::path("share") / "clipkit" / "models" / "emoji-clip";
  // Installed: <prefix>/bin/clipkit → <prefix>/share/clipkit/models/emoji-clip.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / model_under_prefix;
    if (fs::is_directory(installed, ec)) return installed;
  }
  // A program elsewhere linked with the installed libclipkit.so (a consumer of the CMake
  // package or the pkg-config file, java running a JNI binding) finds the model relative
  // to the library: <prefix>/<libdir>/libclipkit.so.N → <prefix>/share/…, wherever the
  // tree was installed or moved to (cmake --install --prefix, a .deb under /usr).
  if (const fs::path library = this_object_file(); !library.empty() && library != exe) {
    fs::path prefix = library.parent_path();
    for (const auto& part : fs::path(CLIPKIT_INSTALL_LIBDIR)) {
      if (!part.empty() && part != ".") prefix = prefix.parent_path();
    }
    const fs::path installed = prefix / model_under_prefix;
    if (fs::is_directory(installed, ec)) return installed;
  }
  // The install prefix configured at build time, then the source tree's copy.
  for (const fs::path& dir : {fs::path(CLIPKIT_INSTALLED_MODEL_DIR), fs::path(CLIPKIT_DEFAULT_MODEL_DIR)})
    if (fs::is_directory(dir, ec)) return dir;
  return std::nullopt;
}

}  // namespace clipkit
