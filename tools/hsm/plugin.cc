// SPDX-License-Identifier: GPL-2.0
//
// Finding and loading the store plugins of plugin.h.
#include "plugin.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits.h>
#include <map>
#include <mutex>
#include <system_error>
#include <unistd.h>

#ifndef DMHSM_PLUGIN_DIR_FROM_BINDIR
#error "DMHSM_PLUGIN_DIR_FROM_BINDIR must say where make install puts the plugins"
#endif

namespace hsm {
namespace {

/*
 * One attempt.  Why a plugin that is there did not load is added to
 * @why; that it is not there is not: a scheme no plugin serves fails with
 * "no backend" alone.
 */
void *open_file(const std::string &file, std::string &why)
{
	void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		std::string error = dlerror();
		if (error != file + ": cannot open shared object file: No such file or directory")
			why += "; " + error;
	}
	return handle;
}

/* Where make install put the plugins, seen from where it put the program. */
std::string installed_dir()
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return {};
	std::string path(exe, len);
	return path.substr(0, path.rfind('/') + 1) + DMHSM_PLUGIN_DIR_FROM_BINDIR;
}

void *open_library(const std::string &file, std::string &why)
{
	const char *dir = std::getenv("DMHSM_PLUGIN_DIR");

	if (dir && *dir)
		return open_file(std::string(dir) + "/" + file, why);
	/* A name without a slash: the run path, then the system's directories. */
	void *handle = open_file(file, why);
	std::string installed = installed_dir();
	if (!handle && !installed.empty())
		handle = open_file(installed + "/" + file, why);
	return handle;
}

const StorePlugin *load(const StoreUrl &url)
{
	std::string what = "store " + url.scheme + "://" + url.name + ": no backend for " +
			   url.scheme + "://";
	/* The scheme becomes part of a file name. */
	if (url.scheme.empty() || !std::all_of(url.scheme.begin(), url.scheme.end(), [](char c) {
		    return std::islower(static_cast<unsigned char>(c)) ||
			   std::isdigit(static_cast<unsigned char>(c));
	    }))
		throw std::system_error(EPROTONOSUPPORT, std::generic_category(), what);

	std::string file = "dmhsm-store-" + url.scheme + ".so", why;
	void *handle = open_library(file, why);
	if (!handle)
		throw std::system_error(EPROTONOSUPPORT, std::generic_category(), what + why);
	auto plugin = static_cast<const StorePlugin *>(dlsym(handle, "dmhsm_store_plugin"));
	if (!plugin)
		why = "; " + file + " is not a store plugin";
	else if (std::strcmp(plugin->abi, DMHSM_PLUGIN_ABI) != 0)
		why = "; " + file + " is of another build (" + plugin->abi + ", not " +
		      DMHSM_PLUGIN_ABI + ")";
	else
		return plugin;
	dlclose(handle);
	throw std::system_error(EPROTONOSUPPORT, std::generic_category(), what + why);
}

} // namespace

const StorePlugin &store_plugin(const StoreUrl &url)
{
	/* Never unloaded: the buckets' code and vtables live in the plugins. */
	static std::mutex lock;
	static std::map<std::string, const StorePlugin *> loaded;
	std::lock_guard<std::mutex> hold(lock);
	const StorePlugin *&plugin = loaded[url.scheme];

	if (!plugin)
		plugin = load(url);
	return *plugin;
}

} // namespace hsm
