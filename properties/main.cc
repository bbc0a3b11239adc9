// main() of the property tests written by hand: GoogleTest, with RapidCheck's CI defaults
// (rapidcheck_defaults.h). Engines' property tests get theirs from
// //properties:engine_battery.
#include "gtest/gtest.h"
#include "properties/rapidcheck_defaults.h"

int main(int argc, char** argv) {
  cachelab::properties::FillRapidCheckDefaults();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
