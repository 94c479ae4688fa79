#include "cli/options.h"

#include <gtest/gtest.h>

namespace vmlab::cli {
namespace {

std::optional<RunOptions> run(std::vector<std::string> args, std::string& error) {
  args.push_back("kernel.elf");
  return parse_run_options(args, error);
}

TEST(OptionsTest, CountsTakeDigitsAndASuffixOnly) {
  EXPECT_EQ(parse_count("500M"), 500'000'000u);
  EXPECT_EQ(parse_count("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_count("18446744073709551616"));
  EXPECT_FALSE(parse_count("20000000000G"));  // overflows with the suffix
  EXPECT_FALSE(parse_count("-5"));
  EXPECT_FALSE(parse_count(" 5"));
  EXPECT_FALSE(parse_count("5 "));
  EXPECT_FALSE(parse_count("0x10"));
  EXPECT_FALSE(parse_count(""));
}

TEST(OptionsTest, EveryNumberIsCheckedAgainstItsRange) {
  std::string error;
  EXPECT_EQ(parse_count_option(kMemoryOption, "3072", error), 3072u);
  EXPECT_FALSE(parse_count_option(kMemoryOption, "3073", error));
  EXPECT_EQ(error, "--memory takes a size in MiB from 4 to 3072, e.g. --memory 128 (got '3073')");
  EXPECT_FALSE(parse_count_option(kMaxInstructionsOption, "0", error));
  EXPECT_EQ(error,
            "--max-instructions takes a count from 1 to 18446744073709551615, e.g. "
            "--max-instructions 500M; leave it out for no limit (got '0')");
  EXPECT_EQ(parse_count_option(kTraceLimitOption, "0", error), 0u);
  EXPECT_FALSE(parse_count_option(kCpuMhzOption, "100001", error));
  EXPECT_FALSE(parse_count_option(kItersOption, "0", error));
}

TEST(OptionsTest, ACostIsBoundedSoTheCycleSumCannotWrap) {
  EXPECT_EQ(parse_cost("port_io=1000000")->second, 1'000'000u);
  EXPECT_FALSE(parse_cost("port_io=1000001"));
  EXPECT_FALSE(parse_cost("port_io=18446744073709551615"));
  EXPECT_FALSE(parse_cost("=5"));
}

TEST(OptionsTest, RunRefusesEmptyFilesAndAZeroBudget) {
  std::string error;
  for (const char* option : {"--out", "--console", "--input", "--profile"}) {
    EXPECT_FALSE(run({option, ""}, error)) << option;
    EXPECT_EQ(error.rfind(std::string(option) + " takes", 0), 0u) << error;
  }
  EXPECT_FALSE(run({"--console="}, error));
  EXPECT_FALSE(run({"--max-instructions", "0"}, error));
  EXPECT_EQ(run({"--max-instructions", "1"}, error)->max_instructions, 1u);
}

TEST(OptionsTest, InitrdSplitsLikeQemu) {
  auto m = parse_initrd("a.bin first arg,,x,b.bin,c.bin  two");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].path, "a.bin");
  EXPECT_EQ((*m)[0].cmdline, "a.bin first arg,x");
  EXPECT_EQ((*m)[1].path, "b.bin");
  EXPECT_EQ((*m)[1].cmdline, "b.bin");
  EXPECT_EQ((*m)[2].cmdline, "c.bin  two");
  EXPECT_FALSE(parse_initrd(""));
  EXPECT_FALSE(parse_initrd("a,"));
  EXPECT_FALSE(parse_initrd(",a"));
  EXPECT_FALSE(parse_initrd(" arg"));
  std::string error;
  auto o = run({"--initrd", "a x", "--initrd=b"}, error);
  ASSERT_TRUE(o) << error;
  ASSERT_EQ(o->modules.size(), 2u);
  EXPECT_EQ(o->modules[1].cmdline, "b");
}

TEST(OptionsTest, DisplayTakesTextOrNone) {
  std::string error;
  EXPECT_TRUE(run({"--display", "text"}, error)->display_text);
  EXPECT_FALSE(run({"--display", "none"}, error)->display_text);
  EXPECT_FALSE(run({"--display", "vga"}, error));
  EXPECT_EQ(error, "--display takes text or none (got 'vga')");
}

TEST(OptionsTest, GdbTakesAPortAndQemusShorthands) {
  std::string error;
  auto o = run({"--gdb", "0"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->gdb_port, 0u);
  EXPECT_FALSE(o->gdb_wait);
  o = run({"-s", "-S"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->gdb_port, 1234u);
  EXPECT_TRUE(o->gdb_wait);
  o = run({"--gdb=4321", "--gdb-wait"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->gdb_port, 4321u);
  EXPECT_FALSE(run({"--gdb", "65536"}, error));
  EXPECT_EQ(error,
            "--gdb takes a TCP port from 0 to 65535, e.g. --gdb 1234; 0 picks a free one "
            "(got '65536')");
  EXPECT_FALSE(run({"-S"}, error));
  EXPECT_EQ(error, "--gdb-wait (-S) waits for gdb on the --gdb port: add --gdb PORT or -s");
  EXPECT_FALSE(run({"--gdb"}, error));
}

TEST(OptionsTest, DiskTakesQemuDriveParts) {
  std::string error;
  auto o = run({"--disk", "a.img", "--disk=b.img,readonly"}, error);
  ASSERT_TRUE(o) << error;
  ASSERT_EQ(o->disks.size(), 2u);
  EXPECT_EQ(o->disks[0].path, "a.img");
  EXPECT_EQ(o->disks[0].index, 0u);
  EXPECT_FALSE(o->disks[0].readonly);
  EXPECT_EQ(o->disks[1].path, "b.img");
  EXPECT_EQ(o->disks[1].index, 1u);
  EXPECT_TRUE(o->disks[1].readonly);
  o = run({"--disk", "file=s.img,index=1", "--disk", "m.img"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->disks[0].index, 1u);
  EXPECT_EQ(o->disks[1].index, 0u);
  EXPECT_FALSE(run({"--disk", "a.img,index=2"}, error));
  EXPECT_EQ(error, "--disk index= takes 0 (primary master) or 1 (primary slave) (got '2')");
  EXPECT_FALSE(run({"--disk", "a.img,index=0", "--disk", "b.img,index=0"}, error));
  EXPECT_EQ(error, "two --disk options for index 0");
  EXPECT_FALSE(run({"--disk", "a.img,cache=none"}, error));
  EXPECT_FALSE(run({"--disk", "index=1"}, error));
  EXPECT_EQ(error, "--disk needs an image file: --disk FILE[,index=N][,readonly]");
}

// The conventions cli/command_line.h adds to CLI11, the same in every subcommand.
TEST(CommandLineTest, ErrorsAreOneLineInVmlabsWords) {
  std::string error;
  EXPECT_FALSE(run({"--no-such-option"}, error));
  EXPECT_EQ(error, "unknown option '--no-such-option' (see vmlab run --help)");
  EXPECT_FALSE(run({"--npt=1"}, error));
  EXPECT_EQ(error, "--npt takes no value");
  EXPECT_FALSE(parse_run_options({"k.elf", "--memory"}, error));
  EXPECT_EQ(error, "option --memory needs a value");
  EXPECT_FALSE(parse_compare_options({"stray"}, error));
  EXPECT_EQ(error, "unexpected argument 'stray' (see vmlab compare --help)");
  EXPECT_FALSE(parse_reproduce_options({"--jobs", "0", "all"}, error));
  EXPECT_EQ(error,
            "--jobs takes a number of worker processes from 1 to 256, e.g. --jobs 2 (got '0')");
}

TEST(CommandLineTest, AnEmptyValueAfterEqualsNeverTakesTheNextArgument) {
  std::string error;
  EXPECT_FALSE(parse_run_options({"--console=", "k.elf"}, error));
  EXPECT_EQ(error, "--console takes a file, not an empty string");
  auto o = parse_run_options({"--append=", "k.elf"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->kernel, "k.elf");
  EXPECT_EQ(o->append, "");
}

TEST(CommandLineTest, DoubleDashEndsTheOptions) {
  std::string error;
  auto o = parse_run_options({"--mode", "bt", "--", "-kernel.elf"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->kernel, "-kernel.elf");
  EXPECT_EQ(o->mode, "bt");
  EXPECT_FALSE(parse_run_options({"--", "a.elf", "b.elf"}, error));
  EXPECT_EQ(error, "more than one kernel image given ('a.elf' and 'b.elf')");
}

TEST(CommandLineTest, HelpIsGeneratedFromTheDeclaredOptions) {
  std::string error, help;
  EXPECT_FALSE(parse_run_options({"--mode", "bt", "-h"}, error, &help));
  EXPECT_EQ(error, "");
  // Every option run parses is in its help, under its group, with its value's name.
  for (const char* line :
       {"usage: vmlab run [options] KERNEL.elf", "  -m, --mode MODE", "  --npt ",
        "  --disk FILE[,index=N][,readonly]\n", "watching and measuring:\n  --out DIR",
        "  --snapshot-at CYCLES FILE\n", "  -S, --gdb-wait", "exit status:"}) {
    EXPECT_NE(help.find(line), std::string::npos) << line;
  }
  // A value that looks like --help is a value, not a request for help.
  auto o = parse_run_options({"--append", "--help", "k.elf"}, error, &help);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->append, "--help");
  help.clear();
  EXPECT_FALSE(parse_compare_options({"--help"}, error, &help));
  EXPECT_NE(help.find("  -j, --jobs N"), std::string::npos) << help;
}

TEST(CommandLineTest, SnapshotPointsTakeACountAndAPath) {
  std::string error;
  auto o = run({"--snapshot-at", "5M", "a.snap", "--snapshot-at-insn=7", "b.snap"}, error);
  ASSERT_TRUE(o) << error;
  ASSERT_EQ(o->snapshots.points.size(), 2u);
  EXPECT_EQ(o->snapshots.points[0].at, 5'000'000u);
  EXPECT_FALSE(o->snapshots.points[0].by_instructions);
  EXPECT_EQ(o->snapshots.points[1].file, "b.snap");
  EXPECT_TRUE(o->snapshots.points[1].by_instructions);
  EXPECT_FALSE(run({"--snapshot-every", "1M", "d", "--snapshot-every", "2M", "e"}, error));
  EXPECT_EQ(error, "--snapshot-every may be given once");
  EXPECT_FALSE(run({"--snapshot-at", "5M", ""}, error));
  EXPECT_EQ(error, "--snapshot-at needs a file after its count");
}

}  // namespace
}  // namespace vmlab::cli
