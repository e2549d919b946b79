// SPDX-License-Identifier: Apache-2.0
#include "drivers/xray_scanner/dicom_file.hpp"

#include <exception>
#include <vector>

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>

namespace kordon::drivers {

Result<std::string> encodeDicomFile(const DcmDataset& dataset) {
  try {
    DcmDataset copy(dataset);
    DcmFileFormat file(&copy, OFTrue /*deepCopy*/);
    const E_TransferSyntax xfer = EXS_LittleEndianExplicit;
    std::string out;
    std::vector<char> buffer(64 * 1024);
    DcmOutputBufferStream stream(buffer.data(), static_cast<offile_off_t>(buffer.size()));
    file.transferInit();
    OFCondition written = EC_StreamNotifyClient;
    while (written == EC_StreamNotifyClient) {
      written = file.write(stream, xfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange, 0,
                           0, 0, EWM_createNewMeta);
      void* chunk = nullptr;
      offile_off_t length = 0;
      stream.flushBuffer(chunk, length);
      if (chunk != nullptr && length > 0) {
        out.append(static_cast<const char*>(chunk), static_cast<std::size_t>(length));
      }
    }
    file.transferEnd();
    if (written.bad()) return Status::error(std::string("encode DICOM file: ") + written.text());
    return out;
  } catch (const std::exception& e) {
    return Status::error(std::string("encode DICOM file: ") + e.what());
  } catch (...) {
    return Status::error("encode DICOM file: unknown exception");
  }
}

}  // namespace kordon::drivers
