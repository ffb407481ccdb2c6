// default_model_path: where the embedded emoji-clip model is, for a program or a binding
// that names no model.
#include <filesystem>
#include <optional>
#include <system_error>

#include "clipkit/model.hpp"

namespace clipkit {

std::optional<std::filesystem::path> default_model_path() {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Installed: <prefix>/bin/clipkit → <prefix>/share/clipkit/models/emoji-clip. A program
  // elsewhere (java running a JNI binding) finds it under the install prefix instead.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "clipkit" / "models" / "emoji-clip";
    if (fs::is_directory(installed, ec)) return installed;
  }
  for (const fs::path& dir : {fs::path(CLIPKIT_INSTALLED_MODEL_DIR), fs::path(CLIPKIT_DEFAULT_MODEL_DIR)})
    if (fs::is_directory(dir, ec)) return dir;
  return std::nullopt;
}

}  // namespace clipkit
