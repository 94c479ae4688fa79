#include "frontend/reproduce/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace vmlab::frontend::reproduce {

namespace {

// One colour per system (the same in every figure), and per event class.
uint32_t system_colour(const std::string& variant) {
  if (variant == "native") return 0x4D4D4D;
  if (variant == "bt") return 0x1F77B4;
  if (variant == "trap") return 0xD62728;
  if (variant == "trap-npt") return 0xFF7F0E;
  if (variant == "trap-classic") return 0x9467BD;
  if (variant == "pv") return 0x2CA02C;
  return 0x8C564B;
}
const uint32_t kPalette[] = {0xBDBDBD, 0x1F77B4, 0xD62728, 0x2CA02C, 0xFF7F0E,
                             0x9467BD, 0x8C564B, 0xE377C2, 0x17BECF, 0xBCBD22};

std::string fmt(double x) {
  char buf[32];
  if (x >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
  } else if (x >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", x);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", x);
  }
  return buf;
}

std::string tick_label(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

struct Builder {
  Drawing d;
  void rect(double x, double y, double w, double h, uint32_t rgb, bool hatched = false,
            uint32_t stroke = 0xFFFFFFFF) {
    Shape s;
    s.kind = Shape::Kind::kRect;
    s.x = x, s.y = y, s.w = w, s.h = h, s.rgb = rgb, s.hatched = hatched, s.stroke = stroke;
    d.shapes.push_back(s);
  }
  void line(double x1, double y1, double x2, double y2, uint32_t rgb, double width = 1,
            bool dashed = false) {
    Shape s;
    s.kind = Shape::Kind::kLine;
    s.x = x1, s.y = y1, s.w = x2 - x1, s.h = y2 - y1, s.rgb = rgb, s.size = width;
    s.dashed = dashed;
    d.shapes.push_back(s);
  }
  void text(double x, double y, const std::string& t, double size = 12,
            Shape::Anchor anchor = Shape::Anchor::kStart, bool bold = false, bool vertical = false,
            uint32_t rgb = 0x000000) {
    Shape s;
    s.kind = Shape::Kind::kText;
    s.x = x, s.y = y, s.text = t, s.size = size, s.anchor = anchor, s.bold = bold;
    s.vertical = vertical, s.rgb = rgb;
    d.shapes.push_back(s);
  }
};

// A value axis, linear or log10, from lo to hi mapped onto [bottom, top] pixels.
struct Axis {
  bool log = false;
  double lo = 0, hi = 1, bottom = 0, top = 0;
  double y(double v) const {
    if (log) {
      const double l = std::log10(std::max(v, lo));
      return bottom - (l - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * (bottom - top);
    }
    return bottom - (v - lo) / (hi - lo) * (bottom - top);
  }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      for (double v = lo; v <= hi * 1.0001; v *= 10) t.push_back(v);
      return t;
    }
    const double raw = (hi - lo) / 6;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (raw <= m * mag) {
        step = m * mag;
        break;
      }
    }
    for (double v = lo; v <= hi * 1.0001; v += step) t.push_back(v);
    return t;
  }
};

Axis make_axis(double min_value, double max_value, bool allow_log, double bottom, double top) {
  Axis a;
  a.bottom = bottom;
  a.top = top;
  if (allow_log && min_value > 0 && max_value / min_value > 30) {
    a.log = true;
    a.lo = std::pow(10, std::floor(std::log10(min_value)));
    if (min_value / a.lo < 1.5) a.lo /= 10;  // a bar at the bottom decade stays visible
    a.hi = std::pow(10, std::ceil(std::log10(max_value)));
    if (a.hi <= a.lo) a.hi = a.lo * 10;
  } else {
    a.lo = 0;
    const double raw = std::max(max_value, 1e-9) * 1.12;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    a.hi = std::ceil(raw / mag * 2) / 2 * mag;
  }
  return a;
}

void draw_axis(Builder& b, const Axis& a, double left, double right, const std::string& label) {
  for (double t : a.ticks()) {
    const double y = a.y(t);
    b.line(left, y, right, y, 0xE0E0E0);
    b.text(left - 6, y + 4, tick_label(t), 12, Shape::Anchor::kEnd);
  }
  b.line(left, a.top, left, a.bottom, 0x000000);
  b.line(left, a.bottom, right, a.bottom, 0x000000);
  b.text(18, (a.top + a.bottom) / 2, label, 13, Shape::Anchor::kMiddle, false, true);
}

void title(Builder& b, const Figure& f, const std::string& subtitle) {
  b.text(b.d.width / 2, 26, f.title, 18, Shape::Anchor::kMiddle, true);
  b.text(b.d.width / 2, 46, subtitle, 12, Shape::Anchor::kMiddle, false, false, 0x444444);
}

// The legend: a swatch per system, and the paper/ours key.
void legend(Builder& b, const Figure& f, const std::vector<size_t>& columns, bool with_paper,
            bool ratio_line, double y) {
  double x = 70;
  for (size_t k : columns) {
    const Column& c = f.columns[k];
    b.rect(x, y - 11, 14, 14, system_colour(c.variant));
    const std::string name =
        c.paper_label.empty() ? c.variant : c.paper_label + " (" + c.variant + ")";
    b.text(x + 19, y, name, 13);
    x += 34 + 7.5 * static_cast<double>(name.size());
  }
  if (with_paper) {
    x += 20;
    b.rect(x, y - 11, 14, 14, 0x888888, true, 0x888888);
    b.text(x + 19, y, "paper (hatched)", 13);
    x += 140;
    b.rect(x, y - 11, 14, 14, 0x888888);
    b.text(x + 19, y, "ours (solid)", 13);
  }
  if (ratio_line) {
    x += 140;
    b.line(x, y - 4, x + 24, y - 4, 0x000000, 1.5, true);
    b.text(x + 30, y, "native = 1", 13);
  }
}

// Grouped bars: one group per row, in it one pair (paper, ours) per column. `ratio`: the
// ratio to native (columns after the first), else cycles per operation.
Drawing grouped(const FigureResult& fr, bool ratio) {
  const Figure& f = *fr.figure;
  Builder b;
  b.d.width = ratio ? 960 : 1040;
  b.d.height = 560;
  std::vector<size_t> columns;
  for (size_t k = ratio ? 1 : 0; k < f.columns.size(); ++k) columns.push_back(k);
  bool any_paper = false;
  double lo = 1e300, hi = 0;
  for (const RowResult& rr : fr.rows) {
    for (size_t k : columns) {
      const auto p = ratio ? rr.paper_ratio(k) : rr.paper_value(k);
      const auto o = ratio ? rr.ours_ratio(k) : rr.ours_value(k);
      for (const auto& v : {p, o}) {
        if (v && *v > 0) {
          lo = std::min(lo, *v);
          hi = std::max(hi, *v);
        }
      }
      any_paper = any_paper || p.has_value();
    }
  }
  if (hi <= 0) lo = 1, hi = 10;
  // A column the paper has no value for in any row gets one bar (ours), not a pair.
  std::vector<bool> has_paper(f.columns.size(), false);
  for (const RowResult& rr : fr.rows) {
    for (size_t k : columns) has_paper[k] = has_paper[k] || rr.paper_value(k).has_value();
  }
  size_t bars = 0;
  for (size_t k : columns) bars += has_paper[k] ? 2 : 1;
  if (ratio) lo = std::min(lo, 1.0);
  const double left = 80, right = b.d.width - 20, top = 70, bottom = b.d.height - 110;
  const Axis axis = make_axis(lo, hi, true, bottom, top);
  title(b, f, f.source + " - profile " + f.profile + (axis.log ? " - log scale" : ""));
  const bool cycles = f.metric != Metric::kWalkRefsPerMiss;
  draw_axis(b, axis, left, right,
            ratio    ? (cycles ? "ratio to native (higher is slower)" : "ratio to native")
            : cycles ? (axis.log ? "cycles per operation (log)" : "cycles per operation")
                     : f.unit);
  if (ratio) {
    b.line(left, axis.y(1), right, axis.y(1), 0x000000, 1.5, true);
  }
  const double group_w = (right - left) / static_cast<double>(std::max<size_t>(fr.rows.size(), 1));
  const double bar_w =
      std::min(26.0, group_w * 0.8 / static_cast<double>(std::max<size_t>(bars, 1)));
  for (size_t r = 0; r < fr.rows.size(); ++r) {
    const RowResult& rr = fr.rows[r];
    const double gx = left + group_w * static_cast<double>(r);
    const double used = bar_w * static_cast<double>(bars);
    double x = gx + (group_w - used) / 2;
    for (size_t k : columns) {
      const auto p = ratio ? rr.paper_ratio(k) : rr.paper_value(k);
      const auto o = ratio ? rr.ours_ratio(k) : rr.ours_value(k);
      const uint32_t colour = system_colour(f.columns[k].variant);
      auto bar = [&](const std::optional<double>& v, bool paper) {
        if (v && *v > 0) {
          const double y = axis.y(*v);
          const double base = axis.log ? axis.y(axis.lo) : axis.y(0);
          b.rect(x, y, bar_w - 2, base - y, colour, paper, paper ? colour : 0xFFFFFFFF);
          b.text(x + bar_w / 2 - 1, y - 4, fmt(*v), 10, Shape::Anchor::kStart, false, true,
                 0x222222);
        } else if (paper && any_paper) {
          b.text(x + bar_w / 2 + 3, bottom - 4, "no paper value", 9, Shape::Anchor::kStart, false,
                 true, 0x888888);
        }
        x += bar_w;
      };
      if (has_paper[k]) bar(p, true);
      bar(o, false);
    }
    b.text(gx + group_w / 2, bottom + 20, rr.row->label, 14, Shape::Anchor::kMiddle, true);
    if (rr.profile != f.profile) {
      b.text(gx + group_w / 2, bottom + 36, "profile " + rr.profile, 11, Shape::Anchor::kMiddle,
             false, false, 0x444444);
    }
  }
  legend(b, f, columns, any_paper, ratio, b.d.height - 40);
  return b.d;
}

// Stacked bars: per row a panel, in it one bar per column, split into the cycles charged to
// each event class and the rest (instructions).
Drawing stacked(const FigureResult& fr) {
  const Figure& f = *fr.figure;
  Builder b;
  b.d.width = 1040;
  b.d.height = 600;
  title(b, f, f.source + " - profile " + f.profile);
  // The classes that matter anywhere in the figure, largest first; the rest in "other".
  std::map<unsigned, double> total;
  for (const RowResult& rr : fr.rows) {
    for (const Measurement* m : rr.ours) {
      if (m == nullptr || !m->ok) continue;
      const double scale = 1.0 / std::max(m->modeled_cycles_per_op, 1.0);
      for (unsigned i = 1; i < vmm::kNumEventKinds; ++i)
        total[i] += m->event_cycles_per_op[i] * scale;
    }
  }
  std::vector<std::pair<double, unsigned>> order;
  for (auto [k, v] : total) {
    if (v > 0.01) order.emplace_back(-v, k);
  }
  std::sort(order.begin(), order.end());
  if (order.size() > 8) order.resize(8);
  std::vector<unsigned> kinds;
  for (auto [v, k] : order) kinds.push_back(k);

  const double panels_left = 80, panels_right = b.d.width - 20, top = 80, bottom = 440;
  const double panel_w =
      (panels_right - panels_left) / static_cast<double>(std::max<size_t>(fr.rows.size(), 1));
  for (size_t r = 0; r < fr.rows.size(); ++r) {
    const RowResult& rr = fr.rows[r];
    const double left = panels_left + panel_w * static_cast<double>(r) + (r ? 60 : 0);
    const double right = panels_left + panel_w * static_cast<double>(r + 1) - 20;
    double hi = 0;
    for (const Measurement* m : rr.ours) {
      if (m && m->ok) hi = std::max(hi, m->modeled_cycles_per_op);
    }
    const Axis axis = make_axis(0, hi, false, bottom, top);
    for (double t : axis.ticks()) {
      const double y = axis.y(t);
      b.line(left, y, right, y, 0xE0E0E0);
      b.text(left - 6, y + 4, tick_label(t), 11, Shape::Anchor::kEnd);
    }
    b.line(left, top, left, bottom, 0x000000);
    b.line(left, bottom, right, bottom, 0x000000);
    if (r == 0) {
      b.text(18, (top + bottom) / 2, "modeled cycles per operation", 13, Shape::Anchor::kMiddle,
             false, true);
    }
    b.text((left + right) / 2, top - 10, rr.row->label, 15, Shape::Anchor::kMiddle, true);
    const double slot = (right - left) / static_cast<double>(std::max<size_t>(rr.ours.size(), 1));
    for (size_t k = 0; k < rr.ours.size(); ++k) {
      const Measurement* m = rr.ours[k];
      const double x = left + slot * static_cast<double>(k) + slot * 0.2;
      const double w = slot * 0.6;
      b.text(x + w / 2, bottom + 18, f.columns[k].variant, 13, Shape::Anchor::kMiddle);
      if (m == nullptr || !m->ok) continue;
      double events = 0;
      for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) events += m->event_cycles_per_op[i];
      double base = 0;
      auto segment = [&](double v, uint32_t colour) {
        if (v <= 0) return;
        const double y0 = axis.y(base), y1 = axis.y(base + v);
        b.rect(x, y1, w, y0 - y1, colour, false, 0xFFFFFF);
        base += v;
      };
      segment(std::max(m->modeled_cycles_per_op - events, 0.0), kPalette[0]);
      double other = events;
      for (size_t j = 0; j < kinds.size(); ++j) {
        segment(m->event_cycles_per_op[kinds[j]], kPalette[1 + j % 9]);
        other -= m->event_cycles_per_op[kinds[j]];
      }
      segment(other, 0x555555);
      b.text(x + w / 2, axis.y(base) - 5, fmt(m->modeled_cycles_per_op), 10,
             Shape::Anchor::kMiddle);
    }
  }
  // Legend, two rows.
  double x = 80, y = 500;
  auto key = [&](uint32_t colour, const std::string& name) {
    if (x + 20 + 7.5 * static_cast<double>(name.size()) > b.d.width - 20) {
      x = 80;
      y += 24;
    }
    b.rect(x, y - 11, 14, 14, colour);
    b.text(x + 19, y, name, 13);
    x += 36 + 7.5 * static_cast<double>(name.size());
  };
  key(kPalette[0], "instructions (no event)");
  for (size_t j = 0; j < kinds.size(); ++j) {
    key(kPalette[1 + j % 9],
        std::string(vmm::event_kind_name(static_cast<vmm::EventKind>(kinds[j]))));
  }
  key(0x555555, "other events");
  return b.d;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string colour(uint32_t rgb) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%06X", rgb & 0xFFFFFF);
  return buf;
}

std::string n(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

Drawing draw(const FigureResult& figure) {
  switch (figure.figure->chart) {
    case Chart::kLogBars: return grouped(figure, false);
    case Chart::kRatioBars: return grouped(figure, true);
    case Chart::kStackedOverhead: return stacked(figure);
  }
  return {};
}

std::string to_svg(const Drawing& d) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + n(d.width) +
                  "\" height=\"" + n(d.height) + "\" viewBox=\"0 0 " + n(d.width) + " " +
                  n(d.height) + "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
  s += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"white\"/>"
       "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"black\" stroke-opacity=\"0.35\" "
       "stroke-width=\"2\"/></pattern></defs>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (const Shape& sh : d.shapes) {
    switch (sh.kind) {
      case Shape::Kind::kRect:
        if (sh.hatched) {
          s += "<rect x=\"" + n(sh.x) + "\" y=\"" + n(sh.y) + "\" width=\"" + n(sh.w) +
               "\" height=\"" + n(sh.h) + "\" fill=\"" + colour(sh.rgb) +
               "\" fill-opacity=\"0.35\"/>\n";
          s += "<rect x=\"" + n(sh.x) + "\" y=\"" + n(sh.y) + "\" width=\"" + n(sh.w) +
               "\" height=\"" + n(sh.h) + "\" fill=\"url(#hatch)\" fill-opacity=\"0.6\"";
        } else {
          s += "<rect x=\"" + n(sh.x) + "\" y=\"" + n(sh.y) + "\" width=\"" + n(sh.w) +
               "\" height=\"" + n(sh.h) + "\" fill=\"" + colour(sh.rgb) + "\"";
        }
        if (sh.stroke != 0xFFFFFFFF) s += " stroke=\"" + colour(sh.stroke) + "\"";
        s += "/>\n";
        break;
      case Shape::Kind::kLine:
        s += "<line x1=\"" + n(sh.x) + "\" y1=\"" + n(sh.y) + "\" x2=\"" + n(sh.x + sh.w) +
             "\" y2=\"" + n(sh.y + sh.h) + "\" stroke=\"" + colour(sh.rgb) + "\" stroke-width=\"" +
             n(sh.size) + "\"" + (sh.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
        break;
      case Shape::Kind::kText: {
        const char* anchor = sh.anchor == Shape::Anchor::kStart    ? "start"
                             : sh.anchor == Shape::Anchor::kMiddle ? "middle"
                                                                   : "end";
        s += "<text x=\"" + n(sh.x) + "\" y=\"" + n(sh.y) + "\" font-size=\"" + n(sh.size) +
             "\" text-anchor=\"" + anchor + "\" fill=\"" + colour(sh.rgb) + "\"" +
             (sh.bold ? " font-weight=\"bold\"" : "") +
             (sh.vertical ? " transform=\"rotate(-90 " + n(sh.x) + " " + n(sh.y) + ")\"" : "") +
             ">" + xml_escape(sh.text) + "</text>\n";
        break;
      }
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace vmlab::frontend::reproduce
