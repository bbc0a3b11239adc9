#include <iostream>
#include <string>
#include <vector>

#include "reference/inspect/inspect.h"

int main(int argc, char** argv) {
  return cachelab::RunInspect(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                              std::cerr);
}
