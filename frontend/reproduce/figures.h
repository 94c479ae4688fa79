// The figures of a reproduction, drawn the way the papers draw them: Fig. 4 as grouped bars
// on a log scale, ratios to native as grouped bars, the overhead split as stacked bars; the
// paper's value (light, hatched) beside ours (solid) wherever the paper has one. A figure is
// first a Drawing (rectangles, lines, text), then SVG text or a PNG image of the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontend/reproduce/evaluate.h"

namespace vmlab::frontend::reproduce {

struct Shape {
  enum class Kind { kRect, kLine, kText } kind = Kind::kRect;
  enum class Anchor { kStart, kMiddle, kEnd } anchor = Anchor::kStart;
  double x = 0, y = 0, w = 0, h = 0;  // a line goes from (x, y) to (x + w, y + h)
  uint32_t rgb = 0;                   // fill (rect, text) or stroke (line)
  uint32_t stroke = 0xFFFFFFFF;       // a rect's outline, 0xFFFFFFFF for none
  bool hatched = false;               // a rect with diagonal hatching (the paper's bars)
  bool dashed = false;                // a dashed line
  bool bold = false;
  bool vertical = false;  // text rotated 90 degrees counter-clockwise
  double size = 12;       // text size in pixels, or line width
  std::string text;
};

struct Drawing {
  double width = 960, height = 540;
  std::vector<Shape> shapes;
};

Drawing draw(const FigureResult& figure);
std::string to_svg(const Drawing& d);

// PNG output (QtGui, offscreen) where vmlab was built with Qt 6; otherwise unavailable.
bool png_available();
bool write_png(const Drawing& d, const std::string& path, std::string& error);

}  // namespace vmlab::frontend::reproduce
