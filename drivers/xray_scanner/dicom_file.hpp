// SPDX-License-Identifier: Apache-2.0
#pragma once

// Serialises a DCMTK dataset as a DICOM Part 10 file in memory (128-byte preamble, "DICM",
// fresh group-0002 meta header, explicit VR little endian), for the evidence store.
// Thread-safe (no shared state).

#include <string>

#include "edge/base/status.hpp"

class DcmDataset;

namespace kordon::drivers {

[[nodiscard]] Result<std::string> encodeDicomFile(const DcmDataset& dataset);

}  // namespace kordon::drivers
