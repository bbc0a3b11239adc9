#include "reference/fallback/events.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace cachelab {

absl::string_view CacheEventKindName(CacheEventKind kind) {
  switch (kind) {
    case CacheEventKind::kHit: return "hit";
    case CacheEventKind::kMiss: return "miss";
    case CacheEventKind::kLoad: return "load";
    case CacheEventKind::kLoadError: return "load_error";
    case CacheEventKind::kSkipped: return "skipped";
    case CacheEventKind::kFallback: return "fallback";
    case CacheEventKind::kRecovered: return "recovered";
    case CacheEventKind::kEvicted: return "evicted";
    case CacheEventKind::kExpired: return "expired";
  }
  return "unknown";
}

LogLevel LevelOf(CacheEventKind kind) {
  switch (kind) {
    case CacheEventKind::kHit:
    case CacheEventKind::kMiss:
    case CacheEventKind::kLoad:
    case CacheEventKind::kEvicted:
    case CacheEventKind::kExpired:
      return LogLevel::kDebug;
    case CacheEventKind::kRecovered:
      return LogLevel::kInfo;
    default:
      return LogLevel::kWarning;
  }
}

std::string Describe(const CacheEvent& event) {
  std::string line = absl::StrCat(CacheEventKindName(event.kind), ": \"", event.source, "\"");
  switch (event.kind) {
    case CacheEventKind::kSkipped:
      absl::StrAppend(&line, " skips \"", event.engine, "\"");
      break;
    case CacheEventKind::kFallback:
      absl::StrAppend(&line, " now serves from \"", event.engine, "\"");
      break;
    case CacheEventKind::kRecovered:
      absl::StrAppend(&line, " serves from \"", event.engine, "\" again");
      break;
    case CacheEventKind::kEvicted:
    case CacheEventKind::kExpired:
      absl::StrAppend(&line, ": \"", event.engine, "\" dropped \"", event.key, "\"");
      break;
    default:
      if (!event.engine.empty()) absl::StrAppend(&line, " (", event.engine, ")");
  }
  if (!event.status.ok()) absl::StrAppend(&line, ": ", event.status.ToString());
  return line;
}

CacheEventKind EventKindOf(RemovalCause cause) {
  return cause == RemovalCause::kEvicted ? CacheEventKind::kEvicted : CacheEventKind::kExpired;
}

CacheListener StderrLogger(LogLevel min_level) {
  return [min_level](const CacheEvent& event) {
    const LogLevel level = LevelOf(event.kind);
    if (level < min_level) return;
    static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARNING"};
    const std::string line = Describe(event);
    std::fprintf(stderr, "cachelab %s %s\n", kNames[static_cast<int>(level)], line.c_str());
  };
}

}  // namespace cachelab
