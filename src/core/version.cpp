#include "clipkit/version.hpp"

namespace clipkit {

const char* version() { return CLIPKIT_VERSION; }

}  // namespace clipkit
