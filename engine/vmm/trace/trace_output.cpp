#include "engine/vmm/trace/trace_output.h"

#include <zlib.h>

#include <cerrno>
#include <fstream>

namespace vmlab::vmm {

namespace {

class PlainOutput final : public TraceOutput {
 public:
  PlainOutput(std::string path, std::ofstream out)
      : TraceOutput(std::move(path)), out_(std::move(out)) {}
  void write(std::string_view text) override { out_.write(text.data(), text.size()); }
  machine::Result<void> close() override {
    out_.flush();
    const bool ok = static_cast<bool>(out_);
    out_.close();
    if (!ok) return machine::Error{"error writing trace file " + path(), EIO};
    return {};
  }

 private:
  std::ofstream out_;
};

class GzipOutput final : public TraceOutput {
 public:
  GzipOutput(std::string path, gzFile file) : TraceOutput(std::move(path)), file_(file) {}
  ~GzipOutput() override {
    if (file_) gzclose(file_);
  }
  void write(std::string_view text) override {
    if (!file_ || failed_ || text.empty()) return;
    if (gzwrite(file_, text.data(), static_cast<unsigned>(text.size())) !=
        static_cast<int>(text.size())) {
      failed_ = true;
    }
  }
  machine::Result<void> close() override {
    if (!file_) return {};
    const int rc = gzclose(file_);
    file_ = nullptr;
    if (failed_ || rc != Z_OK) return machine::Error{"error writing trace file " + path(), EIO};
    return {};
  }

 private:
  gzFile file_;
  bool failed_ = false;
};

}  // namespace

bool TraceOutput::is_gzip_path(std::string_view path) {
  return path.size() > 3 && path.substr(path.size() - 3) == ".gz";
}

machine::Result<std::unique_ptr<TraceOutput>> TraceOutput::open(const std::string& path) {
  if (is_gzip_path(path)) {
    // Level 1 (zlib's fastest): trace text compresses about tenfold even so, and the run
    // does not wait on the compressor (docs/performance.md, "Trace files").
    gzFile f = gzopen(path.c_str(), "wb1");
    if (!f) return machine::Error{"cannot create trace file " + path, errno ? errno : ENOENT};
    gzbuffer(f, 256 * 1024);
    return std::unique_ptr<TraceOutput>(new GzipOutput(path, f));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return machine::Error{"cannot create trace file " + path, ENOENT};
  return std::unique_ptr<TraceOutput>(new PlainOutput(path, std::move(out)));
}

}  // namespace vmlab::vmm
