// clipkit/clipkit.hpp — the whole public API in one include.
#pragma once

#include "clipkit/clip.hpp"
#include "clipkit/error.hpp"
#include "clipkit/fetch.hpp"
#include "clipkit/index.hpp"
#include "clipkit/image.hpp"
#include "clipkit/model.hpp"
#include "clipkit/server.hpp"
#include "clipkit/similarity.hpp"
#include "clipkit/tokenizer.hpp"
#include "clipkit/utf8.hpp"
#include "clipkit/version.hpp"
