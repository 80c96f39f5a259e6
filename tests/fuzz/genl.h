// SPDX-License-Identifier: GPL-2.0
//
// The generic netlink family "dmapi", fuzzed: random and boundary requests
// of every command, with attributes of every type and of wrong sizes,
// corrupted lengths, dumps read through small buffers, and the events
// group joined and left.  Raw sockets, so that nothing between the fuzzer
// and the kernel tidies a message up.
#ifndef DMAPI_FUZZ_GENL_H
#define DMAPI_FUZZ_GENL_H

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace dmfuzz {

/* What the requests learn from the replies, shared by the threads. */
class GenlPool {
public:
	void add_group(std::uint32_t id);
	void add_fsid(std::uint64_t fsid);
	std::uint32_t any_group(std::mt19937_64 &rng);
	std::uint64_t any_fsid(std::mt19937_64 &rng);

private:
	std::mutex mu_;
	std::vector<std::uint32_t> groups_;
	std::vector<std::uint64_t> fsids_;
};

/* One thread's socket and what it knows of the family. */
class GenlFuzzer {
public:
	/* Resolves the family; ok() is false when the module has none. */
	explicit GenlFuzzer(GenlPool &pool);
	~GenlFuzzer();
	GenlFuzzer(const GenlFuzzer &) = delete;
	GenlFuzzer &operator=(const GenlFuzzer &) = delete;

	bool ok() const { return family_ != 0; }

	/*
	 * One request of command @cmd built from @rng, with @handle (a
	 * handle of the mount) among the values it may carry.
	 * Return: 0, or the errno the kernel answered (or of the socket).
	 */
	int call(std::mt19937_64 &rng, int cmd, const std::vector<unsigned char> &handle);

	/* The name of command @cmd, for the counts. */
	static std::string name(int cmd);
	/* Commands to fuzz: the family's and two past its last. */
	static int commands();

private:
	void build(std::mt19937_64 &rng, const std::vector<unsigned char> &handle, int cmd,
		   std::vector<unsigned char> &msg);
	void coherent(std::mt19937_64 &rng, const std::vector<unsigned char> &handle, int cmd,
		      std::vector<unsigned char> &msg);
	static void exact(std::vector<unsigned char> &msg, std::uint16_t type, const void *p,
			  std::size_t len);
	void attribute(std::mt19937_64 &rng, const std::vector<unsigned char> &handle,
		       std::vector<unsigned char> &msg, int depth);
	int receive(std::mt19937_64 &rng, std::uint32_t seq);
	void learn(const unsigned char *payload, std::size_t len);
	void toggle_events(std::mt19937_64 &rng);
	void drain();

	GenlPool &pool_;
	int sock_ = -1;
	std::uint16_t family_ = 0;
	std::uint32_t events_group_ = 0;
	bool joined_ = false;
	std::uint32_t seq_ = 0;
};

} // namespace dmfuzz

#endif
