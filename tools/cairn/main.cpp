// tools/cairn/main.cpp: the front command: repository, key, catalog and policy commands, and
// `cairn VERB ARGS...` running cairn-VERB (as git does). See cairn(1); the command table is in
// lib/cli/front.cpp.
#include "cli/front.hpp"

int main(int argc, char** argv) { return cairn::cli::run_front(argc, argv); }
