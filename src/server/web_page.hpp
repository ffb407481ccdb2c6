// server/web_page.hpp — the single-page UI served at "/": HTML, CSS and script in one
// string, so the binary needs no files beside it.
#pragma once

namespace clipkit::server {

extern const char* const kWebPage;

}  // namespace clipkit::server
