// SPDX-License-Identifier: GPL-2.0
//
// dmhsm-store-bench [--smoke]: the reference HSM's migrate and recall
// throughput through each store of $DMHSM_TEST_STORES (see
// tests/ceph/run-store-tests, which starts a cluster and names a
// directory, a RADOS pool and an S3 bucket).  A migration writes a file's
// content to a store in the HSM's 1 MiB reads and commits it; a recall
// reads it back and verifies its SHA-256, as dmhsm does.  The stores run
// in turn, in a rotating order, for several rounds; each figure is the
// median of its rounds.  Prints "RESULT store CASE VALUE UNIT" lines.
#include "digest.h"
#include "store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string scheme(const std::string &url)
{
	std::string s = url.substr(0, url.find(':'));
	return s.empty() || s[0] == '/' ? "dir" : s;
}

double seconds_since(Clock::time_point t)
{
	return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Figures {
	std::vector<double> migrate, recall;	/* MiB/s per round */
};

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	std::size_t n = v.size();
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round of @files files of @data through @store. */
void round(hsm::Store &store, const std::vector<std::byte> &data, unsigned files, Figures &fig)
{
	constexpr std::size_t kRead = 1 << 20;	/* what the HSM reads at a time */
	double mib = static_cast<double>(data.size()) * files / (1 << 20);
	std::vector<hsm::ObjectRef> refs;
	auto t = Clock::now();
	for (unsigned f = 0; f < files; f++) {
		auto w = store.create("bench_" + std::to_string(f));
		/* Distinct content per file, so that nothing is deduplicated. */
		std::vector<std::byte> head(data.begin(), data.begin() + 8);
		std::memcpy(head.data(), &f, sizeof(f));
		w->write(head);
		for (std::size_t off = 8; off < data.size(); off += kRead)
			w->write(std::span(data).subspan(off, std::min(kRead, data.size() - off)));
		refs.push_back(w->commit());
	}
	fig.migrate.push_back(mib / seconds_since(t));

	std::vector<std::byte> buf(kRead);
	t = Clock::now();
	for (const auto &ref : refs) {
		auto r = store.read(ref);
		hsm::Sha256 sum;
		while (std::size_t n = r->read(buf))
			sum.update(std::span(buf).first(n));
		if (sum.hex() != ref.digest) {
			std::fprintf(stderr, "store-bench: %s: a recall does not match\n",
				     store.url().c_str());
			std::exit(1);
		}
	}
	fig.recall.push_back(mib / seconds_since(t));
	for (const auto &ref : refs)
		store.remove(ref);
}

} // namespace

int main(int argc, char **argv)
{
	bool smoke = argc > 1 && !std::strcmp(argv[1], "--smoke");
	std::size_t size = smoke ? (5 << 20) : (64 << 20);
	unsigned files = smoke ? 1 : 4, rounds = smoke ? 1 : 4;

	std::vector<std::string> urls;
	std::istringstream in(std::getenv("DMHSM_TEST_STORES") ? std::getenv("DMHSM_TEST_STORES") : "");
	for (std::string u; in >> u;)
		urls.push_back(u);
	if (urls.empty()) {
		std::fprintf(stderr, "store-bench: no stores in $DMHSM_TEST_STORES\n");
		return 2;
	}
	std::vector<std::byte> data(size);
	std::mt19937 gen(1);
	for (auto &b : data)
		b = static_cast<std::byte>(gen());

	std::vector<std::unique_ptr<hsm::Store>> stores;
	for (const auto &u : urls)
		stores.push_back(hsm::Store::open(u));
	std::vector<Figures> figs(stores.size());
	try {
		for (unsigned r = 0; r < rounds; r++)
			for (std::size_t i = 0; i < stores.size(); i++) {
				std::size_t s = (i + r) % stores.size();
				round(*stores[s], data, files, figs[s]);
			}
	} catch (const std::exception &e) {
		std::fprintf(stderr, "store-bench: %s\n", e.what());
		return 1;
	}
	for (std::size_t i = 0; i < stores.size(); i++) {
		std::printf("RESULT store migrate-%s %.1f MiB/s\n", scheme(urls[i]).c_str(),
			    median(figs[i].migrate));
		std::printf("RESULT store recall-%s %.1f MiB/s\n", scheme(urls[i]).c_str(),
			    median(figs[i].recall));
	}
	return 0;
}
