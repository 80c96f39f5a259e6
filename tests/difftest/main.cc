// SPDX-License-Identifier: GPL-2.0
//
// dmapi-difftest: proves that a dmapi mount behaves like the filesystem
// under it, by applying one random operation sequence to a plain directory
// and to a directory seen through the mount, and comparing every result.
#include "engine.h"
#include "tree.h"

#include <malloc.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef DIFFTEST_VERSION
#error "DIFFTEST_VERSION must name the release (the build passes the VERSION file)"
#endif

namespace {

constexpr const char usage_text[] = R"(Usage: dmapi-difftest [OPTION]... DIR_A DIR_B
       dmapi-difftest --list-ops [--seed N] [--ops N] [--files N]
       dmapi-difftest --help | --version

Apply the same seeded random sequence of file system calls to DIR_A, a
plain directory on some filesystem, and DIR_B, a directory of a dmapi mount
over a twin directory on the same kind of filesystem, and compare every
result: return values, errno, bytes read, and the stat of what each call
changed.  Every N operations, and at the end, compare the whole trees.  The
first difference ends the run.  Both directories must exist and be empty.

Options:
  -s, --seed N          seed of the operation sequence (default: random,
                        printed); the same seed gives the same sequence
  -n, --ops N           number of operations (default 1000)
  -f, --files N         number of names the operations use, in nested
                        directories (default 32, at least 4)
  -c, --check-every N   compare the whole trees every N operations
                        (default 500; 0: at the end only)
      --strict-seek     SEEK_DATA/SEEK_HOLE must give the same offsets;
                        by default offsets may differ over zeros, as
                        allocation decides them
      --inject-fault N  corrupt B's Nth compared result, to prove that a
                        difference is caught: the run must fail
      --list-ops        print the operation sequence and exit, touching
                        nothing
  -v, --verbose         log every operation and its result on stderr
      --json            print the summary as one JSON object on stdout
  -h, --help            show this help and exit
  -V, --version         show the version and exit

Exit status:
  0  the trees behaved identically
  1  a divergence was found (details on stderr, with the seed to replay)
  2  usage or setup error
)";

class UsageError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

uint64_t parse_number(std::string_view text, const std::string &option)
{
	uint64_t value = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (text.empty() || ec != std::errc() || end != text.data() + text.size())
		throw UsageError("invalid number '" + std::string(text) + "' for " + option);
	return value;
}

struct CommandLine {
	difftest::Options options;
	bool seed_given = false;
	bool verbose = false;
	bool json = false;
	bool list_ops = false;
	std::vector<std::string> directories;
};

CommandLine parse(int argc, char **argv)
{
	CommandLine line;
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		std::string arg = argv[i];
		if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
			line.directories.push_back(arg);
			continue;
		}
		if (arg == "--") {
			options_done = true;
			continue;
		}
		// --name=value is accepted too.
		std::string value;
		bool has_value = false;
		if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
			value = arg.substr(eq + 1);
			arg = arg.substr(0, eq);
			has_value = true;
		}
		auto number = [&]() {
			if (!has_value) {
				if (i + 1 >= argc)
					throw UsageError(arg + " needs a value");
				value = argv[++i];
			}
			return parse_number(value, arg);
		};
		auto no_value = [&]() {
			if (has_value)
				throw UsageError(arg + " takes no value");
		};
		if (arg == "-h" || arg == "--help") {
			no_value();
			std::fputs(usage_text, stdout);
			std::exit(0);
		} else if (arg == "-V" || arg == "--version") {
			no_value();
			std::printf("dmapi-difftest %s\n", DIFFTEST_VERSION);
			std::exit(0);
		} else if (arg == "-s" || arg == "--seed") {
			line.options.seed = number();
			line.seed_given = true;
		} else if (arg == "-n" || arg == "--ops") {
			line.options.ops = number();
		} else if (arg == "-f" || arg == "--files") {
			uint64_t names = number();
			if (names < 4 || names > 100000)
				throw UsageError("--files must be between 4 and 100000");
			line.options.names = static_cast<unsigned>(names);
		} else if (arg == "-c" || arg == "--check-every") {
			line.options.check_every = number();
		} else if (arg == "--inject-fault") {
			line.options.inject_fault = number();
			if (line.options.inject_fault == 0)
				throw UsageError("--inject-fault counts from 1");
		} else if (arg == "--strict-seek") {
			no_value();
			line.options.strict_seek = true;
		} else if (arg == "--list-ops") {
			no_value();
			line.list_ops = true;
		} else if (arg == "-v" || arg == "--verbose") {
			no_value();
			line.verbose = true;
		} else if (arg == "--json") {
			no_value();
			line.json = true;
		} else {
			throw UsageError("unknown option " + arg);
		}
	}
	if (!line.seed_given)
		line.options.seed =
			std::random_device()() | (uint64_t{std::random_device()()} << 32);
	if (line.list_ops) {
		if (!line.directories.empty())
			throw UsageError("--list-ops takes no directories");
	} else if (line.directories.size() != 2) {
		throw UsageError("expected two directories, DIR_A and DIR_B");
	}
	return line;
}

} // namespace

int main(int argc, char **argv)
{
	CommandLine line;
	try {
		line = parse(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "dmapi-difftest: %s\nTry 'dmapi-difftest --help'.\n",
			     e.what());
		return 2;
	}
	if (line.list_ops) {
		difftest::list_ops(line.options, std::cout);
		return 0;
	}
	if (line.verbose)
		line.options.log = &std::cerr;
	// Buffers of up to 256 KiB come and go with every call: keep them in
	// the heap rather than mapping (and faulting in) fresh pages each time.
	::mallopt(M_MMAP_THRESHOLD, 64 << 20);
	::mallopt(M_TRIM_THRESHOLD, 256 << 20);

	const std::string &dir_a = line.directories[0];
	const std::string &dir_b = line.directories[1];
	difftest::Summary summary;
	try {
		summary = difftest::run(line.options, dir_a, dir_b);
	} catch (const difftest::SetupError &e) {
		std::fprintf(stderr, "dmapi-difftest: seed %llu: %s\n",
			     static_cast<unsigned long long>(line.options.seed), e.what());
		return 2;
	}

	if (summary.first)
		std::cerr << difftest::describe_divergence(summary, dir_a, dir_b);
	if (line.json) {
		std::cout << difftest::json_summary(summary) << '\n';
	} else if (!summary.first) {
		std::printf("dmapi-difftest: seed %llu: %llu operations, %llu results compared, "
			    "trees identical\n",
			    static_cast<unsigned long long>(summary.seed),
			    static_cast<unsigned long long>(summary.ops),
			    static_cast<unsigned long long>(summary.compared));
	}
	if (line.verbose)
		std::fprintf(stderr,
			     "dmapi-difftest: %.3f s, %.0f operations/s, %llu SEEK_DATA/SEEK_HOLE "
			     "differences over zeros tolerated\n",
			     summary.seconds,
			     summary.seconds > 0 ? summary.ops / summary.seconds : 0.0,
			     static_cast<unsigned long long>(summary.tolerated));
	return summary.first ? 1 : 0;
}
