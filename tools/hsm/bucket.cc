// SPDX-License-Identifier: GPL-2.0
//
// What every Bucket backend shares with the HSM: its store URL and its
// retries.  Linked into the HSM's programs and into each store plugin
// (plugin.h), which calls it from its own copy.
#include "objstore.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>

namespace hsm {
namespace {

[[noreturn]] void fail(const std::string &what, int error)
{
	throw std::system_error(error, std::generic_category(), what);
}

bool url_char_ok(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~/:").find(c) !=
								      std::string_view::npos;
}

} // namespace

StoreUrl StoreUrl::parse(const std::string &url)
{
	StoreUrl u;
	std::size_t sep = url.find("://");
	/* Messages name the scheme and name only: a value may be a secret. */
	if (sep == std::string::npos || sep == 0)
		fail("store " + url.substr(0, url.find('?')) + ": not SCHEME://NAME", EINVAL);
	u.scheme = url.substr(0, sep);
	std::string rest = url.substr(sep + 3);
	std::size_t q = rest.find('?');
	u.name = rest.substr(0, q);
	std::string what = "store " + u.scheme + "://" + u.name;
	if (u.name.empty() || !std::all_of(u.name.begin(), u.name.end(), url_char_ok))
		fail(what + ": bad name", EINVAL);
	if (q == std::string::npos)
		return u;
	std::istringstream params(rest.substr(q + 1));
	std::string kv;
	while (std::getline(params, kv, '&')) {
		std::size_t eq = kv.find('=');
		if (eq == std::string::npos || eq == 0)
			fail(what + ": a parameter is not KEY=VALUE", EINVAL);
		std::string value = kv.substr(eq + 1);
		if (!std::all_of(value.begin(), value.end(), url_char_ok))
			fail(what + ": bad value of " + kv.substr(0, eq), EINVAL);
		u.params[kv.substr(0, eq)] = value;
	}
	return u;
}

std::string StoreUrl::str() const
{
	std::string s = scheme + "://" + name;
	char sep = '?';
	for (const auto &[k, v] : params) {
		s += sep + k + "=" + v;
		sep = '&';
	}
	return s;
}

unsigned StoreUrl::number(const std::string &key, unsigned def) const
{
	auto it = params.find(key);
	if (it == params.end())
		return def;
	unsigned v = 0;
	const std::string &s = it->second;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		fail("store " + scheme + "://" + name + ": " + key + " is not a number", EINVAL);
	return v;
}

void with_retries(const RetryPolicy &policy, const std::function<bool(int)> &transient,
		  const std::function<void()> &op, const std::function<void()> &before_retry)
{
	auto delay = policy.first_delay;
	for (unsigned attempt = 1;; attempt++) {
		try {
			op();
			return;
		} catch (const std::system_error &e) {
			if (attempt >= policy.attempts || !transient(e.code().value()))
				throw;
		}
		std::this_thread::sleep_for(delay);
		delay = std::min(delay * 2, policy.max_delay);
		if (before_retry)
			before_retry();
	}
}

} // namespace hsm
