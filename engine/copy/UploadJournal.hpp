#pragma once
// The journal lives with the registry endpoint that uses it; the copier and the daemon name it here.
#include "engine/endpoint/UploadJournal.hpp"

namespace autonomy::copy {
using endpoint::UploadJournal;
using endpoint::UploadMark;
}  // namespace autonomy::copy
