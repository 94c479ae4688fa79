#include "cli/command_line.h"

#include "cli/exit_codes.h"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace vmlab::cli {
namespace {

// "-m, --mode MODE": the option's names as a user types them, then its value.
std::string names_of(const CLI::Option* opt) {
  std::string out;
  for (const auto& s : opt->get_snames()) out += (out.empty() ? "-" : ", -") + s;
  for (const auto& l : opt->get_lnames()) out += (out.empty() ? "--" : ", --") + l;
  if (!opt->get_option_text().empty()) out += " " + opt->get_option_text();
  return out;
}

// The help text vmlab's commands have always printed: "usage: ...", the description, the
// options under their group headings with their help in a column (continuation lines of a
// help text are indented to it), then the footer.
class HelpFormatter : public CLI::FormatterBase {
 public:
  explicit HelpFormatter(std::string usage) : usage_(std::move(usage)) {}

  std::string make_help(const CLI::App* app, std::string /*name*/,
                        CLI::AppFormatMode /*mode*/) const override {
    std::ostringstream out;
    out << "usage: " << usage_ << "\n";
    if (!app->get_description().empty()) out << "\n" << app->get_description() << "\n";
    // One column for the help texts of every group: the widest name that fits.
    size_t column = 0;
    for (const auto* o :
         app->get_options([](const CLI::Option* o) { return o->nonpositional(); })) {
      const size_t width = names_of(o).size() + 4;
      if (width <= kMaxColumn) column = std::max(column, width);
    }
    for (const std::string& group : app->get_groups()) {
      auto opts = app->get_options(
          [&](const CLI::Option* o) { return o->get_group() == group && o->nonpositional(); });
      if (group.empty() || opts.empty()) continue;
      out << "\n" << group << ":\n";
      for (const auto* o : opts) {
        std::string line = "  " + names_of(o);
        if (line.size() + 2 > column) {
          out << line << "\n" << std::string(column, ' ');
        } else {
          out << line << std::string(column - line.size(), ' ');
        }
        for (char c : o->get_description()) {
          out.put(c);
          if (c == '\n') out << std::string(column, ' ');
        }
        out << "\n";
      }
    }
    if (!app->get_footer().empty()) out << "\n" << app->get_footer() << "\n";
    return out.str();
  }

 private:
  static constexpr size_t kMaxColumn = 28;
  std::string usage_;
};

// CLI11 puts the option's name and a colon before a message; ours already name it.
std::string without_prefix(const std::string& what) {
  const auto colon = what.find(": ");
  if (colon != std::string::npos && what.compare(0, 1, "-") == 0 &&
      what.substr(0, colon).find(' ') == std::string::npos) {
    return what.substr(colon + 2);
  }
  return what;
}

}  // namespace

CommandLine::CommandLine(std::string command, std::string usage, std::string description,
                         std::string footer)
    : command_(std::move(command)), app_(std::make_unique<CLI::App>(description, command_)) {
  app_->formatter(std::make_shared<HelpFormatter>(std::move(usage)));
  app_->footer(std::move(footer));
  app_->set_help_flag("-h,--help", "show this help");
  app_->get_help_ptr()->group(group_);
  // One group heading per group() call, in declaration order, and no abbreviations: an
  // option is spelt out as documented.
  app_->allow_windows_style_options(false);
  app_->option_defaults()->group(group_);
}

CommandLine& CommandLine::group(std::string heading) {
  group_ = std::move(heading);
  app_->option_defaults()->group(group_);
  return *this;
}

CLI::Option* CommandLine::text(const std::string& names, std::string& target,
                               const std::string& value_name, const std::string& help) {
  auto* o = app_->add_option(names, target, help);
  o->option_text(value_name);
  return o;
}

CLI::Option* CommandLine::each(const std::string& names, const std::string& value_name,
                               const std::string& help,
                               std::function<std::string(const std::string&)> take) {
  auto* o = app_->add_option(
      names,
      [take = std::move(take)](const CLI::results_t& values) {
        for (const auto& v : values) {
          if (auto e = take(v); !e.empty()) throw CLI::ValidationError(e);
        }
        return true;
      },
      help);
  o->type_size(1);
  o->expected(1);
  o->allow_extra_args(false);
  o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  o->option_text(value_name);
  return o;
}

CLI::Option* CommandLine::path(const std::string& names, std::string& target,
                               const std::string& value_name, const char* what,
                               const std::string& help) {
  return each(names, value_name, help, [&target, names, what](const std::string& v) {
    if (v.empty()) {
      const auto comma = names.rfind(',');
      return (comma == std::string::npos ? names : names.substr(comma + 1)) + " takes " + what +
             ", not an empty string";
    }
    target = v;
    return std::string();
  });
}

CLI::Option* CommandLine::count(const std::string& names, const CountOption& option,
                                const std::string& value_name, const std::string& help,
                                std::function<void(uint64_t)> store) {
  return each(names, value_name, help, [&option, store = std::move(store)](const std::string& v) {
    std::string error;
    const auto n = parse_count_option(option, v, error);
    if (n) store(*n);
    return error;
  });
}

CLI::Option* CommandLine::flag(const std::string& names, const std::string& help,
                               std::function<void()> set) {
  auto* o = app_->add_flag_callback(names, std::move(set), help);
  o->disable_flag_override();
  o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return o;
}

CLI::Option* CommandLine::flag(const std::string& names, bool& target, const std::string& help) {
  return flag(names, help, [&target] { target = true; });
}

CLI::Option* CommandLine::tuple(const std::string& names, int n, const std::string& value_name,
                                const std::string& help,
                                std::function<std::string(const std::vector<std::string>&)> take) {
  auto* o = app_->add_option(
      names,
      [take = std::move(take), n](const CLI::results_t& values) {
        for (size_t i = 0; i + static_cast<size_t>(n) <= values.size(); i += n) {
          const std::vector<std::string> one(values.begin() + static_cast<long>(i),
                                             values.begin() + static_cast<long>(i) + n);
          if (auto e = take(one); !e.empty()) throw CLI::ValidationError(e);
        }
        return true;
      },
      help);
  o->type_size(n);
  o->expected(1);
  o->allow_extra_args(false);
  o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  o->option_text(value_name);
  return o;
}

void CommandLine::positionals(std::vector<std::string>& target) {
  auto* o = app_->add_option("ARGS", target, "");
  o->group("");  // described in the usage line and the description, not as an option
}

CommandLine::Outcome CommandLine::parse(const std::vector<std::string>& args, std::string& error) {
  // CLI11 takes the arguments last first. "--name=" is split into "--name" and an empty
  // value: CLI11 would take the next argument as the value instead, so that
  // `--console= KERNEL` silently wrote the console to the kernel's file name.
  std::vector<std::string> reversed;
  for (auto a = args.rbegin(); a != args.rend(); ++a) {
    if (a->size() > 3 && a->compare(0, 2, "--") == 0 && a->back() == '=' &&
        a->find('=') == a->size() - 1) {
      reversed.emplace_back();
      reversed.push_back(a->substr(0, a->size() - 1));
    } else {
      reversed.push_back(*a);
    }
  }
  try {
    app_->parse(reversed);
    return Outcome::kParsed;
  } catch (const CLI::CallForHelp&) {
    return Outcome::kHelp;
  } catch (const CLI::ExtrasError&) {
    // The first argument nothing took: an unknown option, or one positional too many.
    const auto extras = app_->remaining();
    const std::string first = extras.empty() ? std::string() : extras.front();
    error = (!first.empty() && first[0] == '-' ? "unknown option '" : "unexpected argument '") +
            first + "' (see vmlab " + command_ + " --help)";
  } catch (const CLI::ArgumentMismatch& e) {
    std::string what = e.what();
    const std::string name = what.substr(0, what.find(':'));
    if (what.find("flag override") != std::string::npos) {
      const auto space = what.find(' ');
      error = "--" + what.substr(0, space) + " takes no value";
    } else {
      error = "option " + name + " needs a value";
    }
  } catch (const CLI::ParseError& e) {
    error = without_prefix(e.what());
  }
  return Outcome::kError;
}

std::string CommandLine::help() const {
  return app_->help();
}

std::optional<int> CommandLine::parse_or_status(const std::vector<std::string>& args) {
  std::string error;
  switch (parse(args, error)) {
    case Outcome::kHelp: std::cout << help(); return 0;
    case Outcome::kError: std::cerr << "vmlab: " << error << "\n"; return kUsage;
    case Outcome::kParsed: break;
  }
  return std::nullopt;
}

}  // namespace vmlab::cli
