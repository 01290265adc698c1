#pragma once
// The "compression" section, and a route's "compression" override of it.

#include <surge/compression.hpp>

#include "config/object_reader.hpp"

namespace surge::detail {

/// Reads a "compression" object into config, which holds what the keys it lacks keep (the
/// defaults for the top-level section; the top-level section for a route). The section is on
/// when present, unless "enabled": false. Values are checked where they are read: an unknown
/// coding or media type, a level out of its library's range, min_length above max_length.
void read_compression(ObjectReader& section, CompressionConfig& config);

}  // namespace surge::detail
