// PNG figures where vmlab was built without Qt 6: not available (the SVG files are written).
#include "frontend/reproduce/figures.h"

namespace vmlab::frontend::reproduce {

bool png_available() {
  return false;
}

bool write_png(const Drawing&, const std::string& path, std::string& error) {
  error = "cannot write " + path + ": this vmlab was built without Qt 6 (PNG figures)";
  return false;
}

}  // namespace vmlab::frontend::reproduce
