#include "reference/codec/codec.h"

#include <cmath>
#include <map>
#include <optional>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace cachelab {
namespace {

// A user type that nlohmann-json can convert.
struct Order {
  std::string id;
  int quantity = 0;
  std::vector<std::string> tags;
  bool operator==(const Order&) const = default;
};
void to_json(nlohmann::json& json, const Order& order) {
  json = {{"id", order.id}, {"quantity", order.quantity}, {"tags", order.tags}};
}
void from_json(const nlohmann::json& json, Order& order) {
  json.at("id").get_to(order.id);
  json.at("quantity").get_to(order.quantity);
  json.at("tags").get_to(order.tags);
}

// A padding-free trivially copyable type.
struct Point {
  int32_t x, y;
  bool operator==(const Point&) const = default;
};

template <typename C, typename T>
void ExpectRoundTrip(const T& value) {
  auto decoded = C::Decode(C::Encode(value));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == value);
}

RC_GTEST_PROP(CodecRoundTrip, Strings, (const std::string& s)) {
  ExpectRoundTrip<Codec<std::string>>(s);
}
RC_GTEST_PROP(CodecRoundTrip, Integers, (int64_t a, uint8_t b, bool c)) {
  ExpectRoundTrip<Codec<int64_t>>(a);
  ExpectRoundTrip<Codec<uint8_t>>(b);
  ExpectRoundTrip<Codec<bool>>(c);
}
RC_GTEST_PROP(CodecRoundTrip, DoublesKeepEveryBit, (double d)) {
  auto decoded = Codec<double>::Decode(Codec<double>::Encode(d));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(std::memcmp(&*decoded, &d, sizeof d) == 0);
}
// RapidCheck has no std::optional generator here: a flag says whether the value is there.
template <typename T>
std::optional<T> Maybe(bool present, T value) {
  return present ? std::optional<T>(std::move(value)) : std::nullopt;
}

RC_GTEST_PROP(CodecRoundTrip, Optionals, (bool present, const std::string& value)) {
  ExpectRoundTrip<Codec<std::optional<std::string>>>(Maybe(present, value));
}
RC_GTEST_PROP(CodecRoundTrip, NestedContainers,
              (const std::vector<std::string>& list, const std::map<std::string, int32_t>& map,
               const std::vector<std::pair<bool, std::vector<uint16_t>>>& drawn)) {
  std::vector<std::optional<std::vector<uint16_t>>> nested;
  for (const auto& [present, values] : drawn) nested.push_back(Maybe(present, values));
  ExpectRoundTrip<Codec<std::vector<std::string>>>(list);
  ExpectRoundTrip<Codec<std::map<std::string, int32_t>>>(map);
  ExpectRoundTrip<Codec<std::vector<std::optional<std::vector<uint16_t>>>>>(nested);
  ExpectRoundTrip<Codec<std::pair<std::string, int32_t>>>(std::pair(list.empty() ? "" : list[0], 7));
}
RC_GTEST_PROP(CodecRoundTrip, TriviallyCopyableWithoutPadding, (int32_t x, int32_t y)) {
  ExpectRoundTrip<Codec<Point>>(Point{x, y});
}
RC_GTEST_PROP(CodecRoundTrip, MessagePackKeepsAnyBytes,
              (const std::string& id, int quantity, const std::vector<std::string>& tags)) {
  ExpectRoundTrip<MsgpackCodec<Order>>(Order{id, quantity, tags});
}
RC_GTEST_PROP(CodecRoundTrip, JsonKeepsText, (int quantity)) {
  const auto text = rc::gen::container<std::string>(rc::gen::inRange<char>(32, 127));
  const Order order{*text, quantity, *rc::gen::container<std::vector<std::string>>(text)};
  ExpectRoundTrip<JsonCodec<Order>>(order);
}
RC_GTEST_PROP(CodecRoundTrip, EqualValuesEncodeEqually, (const std::map<std::string, int32_t>& map)) {
  using MapCodec = Codec<std::map<std::string, int32_t>>;
  const std::map<std::string, int32_t> copy(map.rbegin(), map.rend());  // built in reverse
  RC_ASSERT(MapCodec::Encode(map) == MapCodec::Encode(copy));
}

// Decoding never crashes and never accepts bytes of the wrong shape.
RC_GTEST_PROP(CodecDecode, ArbitraryBytesAreValuesOrDataLoss, (const std::string& bytes)) {
  for (absl::Status status :
       {Codec<int64_t>::Decode(bytes).status(), Codec<std::optional<int32_t>>::Decode(bytes).status(),
        Codec<std::vector<std::string>>::Decode(bytes).status(),
        Codec<std::map<std::string, int32_t>>::Decode(bytes).status(),
        JsonCodec<Order>::Decode(bytes).status(), MsgpackCodec<Order>::Decode(bytes).status()}) {
    RC_ASSERT(status.ok() || status.code() == absl::StatusCode::kDataLoss);
  }
}

RC_GTEST_PROP(CodecRoundTrip, Tuples, (const std::string& s, int64_t i, bool b)) {
  ExpectRoundTrip<Codec<std::tuple<std::string, int64_t, bool>>>(std::make_tuple(s, i, b));
  ExpectRoundTrip<Codec<std::tuple<>>>(std::tuple<>());
}

TEST(CodecDecode, TuplesOfAnotherShapeAreDataLoss) {
  using Pair = std::tuple<std::string, std::string>;
  const std::string bytes = Codec<Pair>::Encode({"a", "b"});
  EXPECT_EQ(Codec<std::tuple<std::string>>::Decode(bytes).status().code(),
            absl::StatusCode::kDataLoss);
  using Triple = std::tuple<std::string, std::string, std::string>;
  EXPECT_EQ(Codec<Triple>::Decode(bytes).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Codec<Pair>::Decode(bytes.substr(0, bytes.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CodecTraits, HasCodecSaysWhichTypesHaveOne) {
  struct NoCodec {};
  EXPECT_TRUE((kHasCodec<std::tuple<int, std::string>>));
  EXPECT_TRUE(kHasCodec<Point>);
  EXPECT_FALSE(kHasCodec<NoCodec*>);
  EXPECT_FALSE(kHasCodec<std::function<void()>>);
}

TEST(CodecDecode, WrongSizesAreDataLossWithAReason) {
  const absl::Status status = Codec<int32_t>::Decode("abc").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "cannot decode: expected 4 bytes, got 3");
}

TEST(CodecDecode, TruncatedContainersAreDataLoss) {
  std::string bytes = Codec<std::vector<std::string>>::Encode({"hello", "world"});
  bytes.pop_back();
  EXPECT_EQ(Codec<std::vector<std::string>>::Decode(bytes).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Codec<std::optional<std::string>>::Decode("\x07").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CodecDecode, JsonOfTheWrongShapeIsDataLoss) {
  EXPECT_EQ(JsonCodec<Order>::Decode("{not json").status().code(), absl::StatusCode::kDataLoss);
  const absl::Status shape = JsonCodec<Order>::Decode(R"({"id": 5})").status();
  EXPECT_EQ(shape.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(shape.message().find("wrong shape"), absl::string_view::npos) << shape;
}

TEST(CodecEncode, JsonReplacesInvalidUtf8InsteadOfThrowing) {
  const Order order{"\xB4ok", 1, {}};
  auto decoded = JsonCodec<Order>::Decode(JsonCodec<Order>::Encode(order));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, "\xEF\xBF\xBDok");  // U+FFFD, then the valid bytes
}

TEST(CodecEncode, NulBytesAndEmptyValuesSurvive) {
  const std::string bytes("a\0b", 3);
  EXPECT_EQ(*Codec<std::string>::Decode(Codec<std::string>::Encode(bytes)), bytes);
  EXPECT_EQ(*Codec<std::optional<std::string>>::Decode(
                Codec<std::optional<std::string>>::Encode(std::string())),
            std::optional<std::string>(""));
}

}  // namespace
}  // namespace cachelab
