#include "gui/trace_file_reader.h"

#include <zlib.h>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <cerrno>

namespace vmlab::gui {

namespace {

constexpr unsigned kChunk = 256 * 1024;

QString tr(const char* text) {
  return QCoreApplication::translate("RunLoader", text);
}

}  // namespace

bool is_gzip_file(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) return false;
  const QByteArray magic = f.read(2);
  return magic.size() == 2 && static_cast<uint8_t>(magic[0]) == 0x1f &&
         static_cast<uint8_t>(magic[1]) == 0x8b;
}

machine::Result<std::unique_ptr<TraceFileReader>> TraceFileReader::open(const QString& file) {
  std::unique_ptr<TraceFileReader> r(new TraceFileReader);
  r->file_ = file;
  const QFileInfo info(file);
  if (!info.isFile()) {
    return machine::Error{tr("%1: cannot read").arg(file).toStdString(), ENOENT};
  }
  r->bytes_ = std::max<double>(static_cast<double>(info.size()), 1);
  gzFile gz = gzopen(QFile::encodeName(file).constData(), "rb");
  if (gz == nullptr) {
    return machine::Error{tr("%1: cannot read").arg(file).toStdString(), ENOENT};
  }
  r->gz_ = gz;
  gzbuffer(gz, kChunk);
  r->compressed_ = is_gzip_file(file);
  if (!r->compressed_ && file.endsWith(QStringLiteral(".gz"))) {
    return machine::Error{
        tr("%1: not gzip-compressed (a .gz trace starts with the bytes 1f 8b; vmlab run "
           "--trace-gzip writes them)")
            .arg(file)
            .toStdString(),
        EINVAL};
  }
  return r;
}

TraceFileReader::~TraceFileReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

double TraceFileReader::progress() const {
  const z_off_t at = gzoffset(static_cast<gzFile>(gz_));
  return at < 0 ? 0 : std::min(1.0, static_cast<double>(at) / bytes_);
}

// Reads the next chunk onto the buffer's end. False at the end or on an error.
bool TraceFileReader::fill() {
  if (eof_) return false;
  if (start_ != 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  const size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  const int n = gzread(static_cast<gzFile>(gz_), buffer_.data() + old, kChunk);
  buffer_.resize(old + static_cast<size_t>(std::max(n, 0)));
  if (n > 0) return true;
  eof_ = true;
  int code = Z_OK;
  const char* why = gzerror(static_cast<gzFile>(gz_), &code);
  if (code == Z_BUF_ERROR) {
    error_ = tr("%1: truncated gzip data after line %2 (the file was cut short: the run did "
                "not finish writing it, or the copy is incomplete)")
                 .arg(file_)
                 .arg(lines_);
  } else if (code != Z_OK) {
    error_ = tr("%1: damaged gzip data after line %2 (%3)")
                 .arg(file_)
                 .arg(lines_)
                 .arg(QString::fromLatin1(why != nullptr ? why : "zlib error"));
  } else if (n < 0) {
    error_ = tr("%1: cannot read").arg(file_);
  }
  return false;
}

bool TraceFileReader::next(std::string& line) {
  size_t searched = start_;
  for (;;) {
    const size_t nl = buffer_.find('\n', searched);
    if (nl != std::string::npos) {
      line.assign(buffer_, start_, nl - start_);
      start_ = nl + 1;
      ++lines_;
      return true;
    }
    if (buffer_.size() - start_ > kMaxLine) {
      error_ = tr("%1, line %2: longer than 1 MiB, not a trace line").arg(file_).arg(lines_ + 1);
      return false;
    }
    searched = buffer_.size() - start_;  // offsets shift by start_ in fill()
    if (!fill()) break;
  }
  // The end: a last line without '\n' counts, unless the data ended in an error (a
  // truncated file's last line is cut off).
  if (!error_.isEmpty() || start_ >= buffer_.size()) return false;
  line.assign(buffer_, start_, std::string::npos);
  start_ = buffer_.size();
  ++lines_;
  return true;
}

}  // namespace vmlab::gui
