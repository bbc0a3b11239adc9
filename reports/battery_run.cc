#include "reports/battery_run.h"

#include <stdio.h>
#include <sys/wait.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cachelab::reports {
namespace {

// Single-quotes `arg` for /bin/sh.
std::string ShellQuote(absl::string_view arg) {
  std::string quoted = "'";
  for (char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// "Name, where TypeParam = ... (3 ms)" or "Name (3 ms)" -> "Name".
std::string TestName(absl::string_view rest) {
  const size_t end = std::min(rest.find(", where"), rest.find(" ("));
  return std::string(rest.substr(0, end));
}

}  // namespace

bool BatteryRun::Failed(absl::string_view test) const {
  for (const std::string& name : failed_tests) {
    if (name == test || absl::EndsWith(name, absl::StrCat("/", test))) return true;
  }
  return false;
}

std::set<std::string> BatteryRun::FailedTails() const {
  std::set<std::string> tails;
  for (const std::string& name : failed_tests) tails.insert(name.substr(name.find('/') + 1));
  return tails;
}

void ParseGtestOutput(absl::string_view output, BatteryRun& run) {
  std::vector<absl::string_view> printed;  // by the running test, up to kDetailLines + 1
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "[ RUN      ] ")) {
      printed.clear();
      continue;
    }
    // Result lines end with the test's time; the summary's repeated names do not.
    if (!absl::EndsWith(line, " ms)")) {
      if (printed.size() <= kDetailLines) printed.push_back(line);
      continue;
    }
    if (absl::ConsumePrefix(&line, "[       OK ] ")) {
      ++run.passed;
    } else if (absl::ConsumePrefix(&line, "[  FAILED  ] ")) {
      ++run.failed;
      run.failed_tests.push_back(TestName(line));
      const bool cut = printed.size() > kDetailLines;
      if (cut) printed.resize(kDetailLines);
      run.failure_details.push_back(
          absl::StrCat(absl::StrJoin(printed, "\n"), cut ? "\n..." : ""));
    } else if (absl::ConsumePrefix(&line, "[  SKIPPED ] ")) {
      ++run.skipped;
    }
    printed.clear();
  }
}

absl::StatusOr<BatteryRun> RunBatteryInRunfiles(absl::string_view workspace_path) {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  if (runfiles == nullptr) {
    return absl::FailedPreconditionError("TEST_SRCDIR is not set: run this under bazel test");
  }
  return RunBattery(absl::StrCat(runfiles, "/cachelab/", workspace_path));
}

absl::StatusOr<ShellRun> RunShell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot start ", command));
  ShellRun run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  if (status == -1) return absl::InternalError(absl::StrCat("cannot wait for ", command));
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

std::vector<int> CounterexampleLengths(absl::string_view output) {
  std::vector<int> lengths;
  int commands = 0;
  enum { kOutside, kCommands, kList } state = kOutside;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (state == kList) {
      const std::vector<absl::string_view> elements = absl::StrSplit(line, ',');
      lengths.push_back(line == "[]" ? 0 : static_cast<int>(elements.size()));
      state = kOutside;
    } else if (absl::StrContains(line, "std::vector<std::shared_ptr<const Command<")) {
      state = kCommands;
      commands = 0;
    } else if (absl::StrContains(line, "std::vector<int>:")) {
      state = kList;
    } else if (state == kCommands && line.empty()) {
      lengths.push_back(commands);
      state = kOutside;
    } else if (state == kCommands) {
      ++commands;
    }
  }
  return lengths;
}

absl::StatusOr<BatteryRun> RunBattery(const std::string& binary,
                                      const std::vector<std::string>& args) {
  std::string command =
      "env -u XML_OUTPUT_FILE -u GTEST_OUTPUT -u TEST_PREMATURE_EXIT_FILE -u TEST_SHARD_INDEX "
      "-u TEST_TOTAL_SHARDS -u TEST_SHARD_STATUS_FILE -u GTEST_SHARD_INDEX "
      "-u GTEST_TOTAL_SHARDS " +
      ShellQuote(binary);
  for (const std::string& arg : args) absl::StrAppend(&command, " ", ShellQuote(arg));
  absl::StrAppend(&command, " 2>&1");
  auto shell = RunShell(command);
  if (!shell.ok()) return shell.status();
  BatteryRun run;
  run.output = std::move(shell->output);
  run.exit_code = shell->exit_code;
  if (run.exit_code == 127 && run.output.find("No such file") != std::string::npos) {
    return absl::NotFoundError(absl::StrCat("no battery binary at ", binary, ": ", run.output));
  }
  ParseGtestOutput(run.output, run);
  return run;
}

}  // namespace cachelab::reports
