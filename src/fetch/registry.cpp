// The model registry (models/registry.json): parsing, look-up by name, nearest names,
// and the cache folder a name maps to.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "clipkit/fetch.hpp"

namespace clipkit {

namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// A relative path that stays inside the model's folder.
bool safe_relative(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/'))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

}  // namespace

std::string cache_folder_name(std::string_view name) {
  std::string rest(name);
  std::string out;
  if (rest.starts_with("hf:")) {
    out = "hf/";
    rest = rest.substr(3);
    // hf:owner/repo keeps its slashes as folders; each part is sanitised.
  } else {
    std::replace(rest.begin(), rest.end(), '/', '-');
  }
  std::stringstream parts(rest);
  std::string part;
  bool first = true;
  while (std::getline(parts, part, '/')) {
    for (char& c : part)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '@') c = '-';
    if (part.empty() || part.find_first_not_of('.') == std::string::npos)
      throw Error(ErrorCode::invalid_argument, "model name '" + std::string(name) + "': an empty or dot-only part");
    out += (first ? "" : "/") + part;
    first = false;
  }
  if (first) throw Error(ErrorCode::invalid_argument, "empty model name");
  return out;
}

Registry Registry::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::not_found, "cannot read the model registry " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

Registry Registry::parse(std::string_view json_text, const std::string& display_name) {
  const json doc = json::parse(json_text, nullptr, false);
  auto bad = [&](const std::string& what) {
    return Error(ErrorCode::corrupt_data, "model registry " + display_name + ": " + what);
  };
  if (doc.is_discarded()) throw bad("not valid JSON");
  if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_array()) throw bad("no \"models\" array");
  auto text_of = [&](const json& object, const char* key, const std::string& where, bool required) -> std::string {
    if (!object.contains(key)) {
      if (required) throw bad(where + ": no \"" + key + "\"");
      return {};
    }
    if (!object[key].is_string()) throw bad(where + ": \"" + key + "\" is not a string");
    return object[key].get<std::string>();
  };
  Registry registry;
  for (size_t i = 0; i < doc["models"].size(); ++i) {
    const json& m = doc["models"][i];
    std::string where = "models[" + std::to_string(i) + "]";
    if (!m.is_object()) throw bad(where + " is not an object");
    RegistryEntry entry;
    entry.name = text_of(m, "name", where, true);
    where += " (" + entry.name + ")";
    (void)cache_folder_name(entry.name);  // a name must make a folder
    if (registry.find(entry.name)) throw bad(where + ": the name appears twice");
    entry.family = text_of(m, "family", where, true);
    entry.source = text_of(m, "source", where, false);
    entry.note = text_of(m, "note", where, false);
    entry.model = text_of(m, "model", where, false);
    entry.vocab = text_of(m, "vocab", where, false);
    if (m.contains("loadable")) {
      if (!m["loadable"].is_boolean()) throw bad(where + ": \"loadable\" is not true/false");
      entry.loadable = m["loadable"].get<bool>();
    }
    if (!m.contains("files") || !m["files"].is_array() || m["files"].empty()) throw bad(where + ": no \"files\"");
    for (size_t k = 0; k < m["files"].size(); ++k) {
      const json& f = m["files"][k];
      const std::string fwhere = where + " files[" + std::to_string(k) + "]";
      if (!f.is_object()) throw bad(fwhere + " is not an object");
      RegistryFile file;
      file.url = text_of(f, "url", fwhere, true);
      file.path = text_of(f, "path", fwhere, true);
      file.sha256 = lower(text_of(f, "sha256", fwhere, false));
      if (!file.url.starts_with("https://") && !file.url.starts_with("http://"))
        throw bad(fwhere + ": url " + file.url + " is not http(s)");
      if (!safe_relative(file.path)) throw bad(fwhere + ": path '" + file.path + "' leaves the model's folder");
      if (!file.sha256.empty() && !is_hex64(file.sha256)) throw bad(fwhere + ": sha256 is not 64 hex digits");
      if (f.contains("size")) {
        if (!f["size"].is_number_unsigned()) throw bad(fwhere + ": size is not a byte count");
        file.size = f["size"].get<uint64_t>();
      }
      for (const RegistryFile& other : entry.files)
        if (other.path == file.path) throw bad(fwhere + ": path '" + file.path + "' appears twice");
      entry.files.push_back(std::move(file));
    }
    for (const std::string* rel : {&entry.model, &entry.vocab})
      if (!rel->empty() && !safe_relative(*rel)) throw bad(where + ": '" + *rel + "' leaves the model's folder");
    registry.entries_.push_back(std::move(entry));
  }
  return registry;
}

const RegistryEntry* Registry::find(std::string_view name) const {
  for (const RegistryEntry& e : entries_)
    if (e.name == name) return &e;
  for (const RegistryEntry& e : entries_)
    if (e.name.find('/') != std::string::npos && !e.name.starts_with("hf:") && cache_folder_name(e.name) == name)
      return &e;
  return nullptr;
}

const RegistryEntry& Registry::get(std::string_view name) const {
  if (const RegistryEntry* e = find(name)) return *e;
  std::string message = "unknown model name '" + std::string(name) + "'";
  const auto near = closest(name);
  if (!near.empty()) {
    message += " (closest: ";
    for (size_t i = 0; i < near.size(); ++i) message += (i ? ", " : "") + near[i];
    message += ")";
  }
  message += "; `clipkit pull --list` shows every name";
  throw Error(ErrorCode::not_found, message);
}

std::vector<std::string> Registry::closest(std::string_view name, size_t count) const {
  const std::string wanted = lower(name);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const RegistryEntry& e : entries_) scored.emplace_back(edit_distance(wanted, lower(e.name)), e.name);
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (const auto& [distance, n] : scored) {
    if (out.size() == count) break;
    out.push_back(n);
  }
  return out;
}

}  // namespace clipkit
