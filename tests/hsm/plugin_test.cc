// SPDX-License-Identifier: GPL-2.0
//
// Loading the store plugins (tools/hsm/plugin.h), with plugins of this
// test's own in TEST_PLUGIN_DIR: which is loaded, which is refused, and
// the error a program gets.
#include "objstore.h"
#include "store.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>
#include <unistd.h>

#ifndef TEST_PLUGIN_DIR
#error "TEST_PLUGIN_DIR must name the directory of the test plugins"
#endif

namespace {

struct Failure {
	int error = 0;
	std::string what;
};

Failure failure_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const std::system_error &e) {
		return {e.code().value(), e.what()};
	}
	return {};
}

Failure open_failure(const std::string &url)
{
	return failure_of([&] { hsm::Store::open(url); });
}

class PluginLoader : public testing::Test {
protected:
	void SetUp() override { ASSERT_EQ(setenv("DMHSM_PLUGIN_DIR", TEST_PLUGIN_DIR, 1), 0); }
	void TearDown() override { unsetenv("DMHSM_PLUGIN_DIR"); }
};

TEST_F(PluginLoader, APluginOfThisBuildIsLoadedAndOpensTheUrl)
{
	Failure f = open_failure("echo://bucket?x=1");
	EXPECT_EQ(f.error, ENOTCONN) << f.what;
	EXPECT_NE(f.what.find("echo plugin opened echo://bucket"), std::string::npos) << f.what;
}

TEST_F(PluginLoader, ALoadedPluginStaysLoadedWhenTheDirectoryNoLongerNamesIt)
{
	ASSERT_EQ(open_failure("echo://first").error, ENOTCONN);
	ASSERT_EQ(setenv("DMHSM_PLUGIN_DIR", "/nonexistent", 1), 0);
	Failure f = open_failure("echo://second");
	EXPECT_EQ(f.error, ENOTCONN) << f.what;
}

TEST_F(PluginLoader, ASchemeWithoutAPluginFailsEPROTONOSUPPORTWithNoBackendAlone)
{
	Failure f = open_failure("none://bucket");
	EXPECT_EQ(f.error, EPROTONOSUPPORT) << f.what;
	EXPECT_NE(f.what.find("store none://bucket: no backend for none://"), std::string::npos)
		<< f.what;
	EXPECT_EQ(f.what.find(".so"), std::string::npos) << f.what;
}

TEST_F(PluginLoader, APluginThatDoesNotLoadFailsEPROTONOSUPPORTSayingWhy)
{
	char dir[] = "/tmp/dmhsm-plugin-test.XXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr);
	std::string file = std::string(dir) + "/dmhsm-store-broken.so";
	std::ofstream(file) << "not a shared object\n";
	ASSERT_EQ(setenv("DMHSM_PLUGIN_DIR", dir, 1), 0);
	Failure f = open_failure("broken://bucket");
	std::filesystem::remove_all(dir);
	EXPECT_EQ(f.error, EPROTONOSUPPORT) << f.what;
	EXPECT_NE(f.what.find("no backend for broken://; " + file + ": "), std::string::npos)
		<< f.what;
}

TEST_F(PluginLoader, APluginOfAnotherBuildIsRefusedEPROTONOSUPPORT)
{
	Failure f = open_failure("stale://bucket");
	EXPECT_EQ(f.error, EPROTONOSUPPORT) << f.what;
	EXPECT_NE(f.what.find("is of another build"), std::string::npos) << f.what;
	/* Nor taken on a second try. */
	EXPECT_EQ(open_failure("stale://bucket").error, EPROTONOSUPPORT);
}

TEST_F(PluginLoader, ALibraryThatIsNoStorePluginIsRefusedEPROTONOSUPPORT)
{
	Failure f = open_failure("empty://bucket");
	EXPECT_EQ(f.error, EPROTONOSUPPORT) << f.what;
	EXPECT_NE(f.what.find("is not a store plugin"), std::string::npos) << f.what;
}

TEST_F(PluginLoader, ASchemeThatCannotNameAFileIsRefusedWithoutLookingEPROTONOSUPPORT)
{
	for (const char *url : {"ECHO://bucket", "e.cho://bucket", "e-cho://bucket"}) {
		Failure f = open_failure(url);
		EXPECT_EQ(f.error, EPROTONOSUPPORT) << url << ": " << f.what;
		EXPECT_EQ(f.what.find(".so"), std::string::npos) << url << ": " << f.what;
	}
}

TEST(PluginSearch, WithoutDmhsmPluginDirTheInstalledPlaceIsFoundFromTheProgramsOwn)
{
	unsetenv("DMHSM_PLUGIN_DIR");
	char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_GT(len, 0);
	std::string path(exe, len);
	/* Laid out as make install would, beside this program. */
	std::filesystem::path dir = path.substr(0, path.rfind('/') + 1) + DMHSM_PLUGIN_DIR_FROM_BINDIR;
	std::filesystem::create_directories(dir);
	std::filesystem::path plugin = dir / "dmhsm-store-installed.so";
	std::filesystem::remove(plugin);
	std::filesystem::create_symlink(TEST_PLUGIN_DIR "/dmhsm-store-echo.so", plugin);
	Failure f = open_failure("installed://bucket");
	std::filesystem::remove(plugin);
	std::error_code left_if_not_empty;
	std::filesystem::remove(dir, left_if_not_empty);
	std::filesystem::remove(dir.parent_path(), left_if_not_empty);
	EXPECT_EQ(f.error, ENOTCONN) << f.what;
	EXPECT_NE(f.what.find("echo plugin opened installed://bucket"), std::string::npos) << f.what;
}

TEST(PluginSearch, WithoutDmhsmPluginDirTheBuildTreeFindsItsOwnPlugins)
{
#if !DMHSM_TEST_RADOS_PLUGIN
	GTEST_SKIP() << "built without librados: no dmhsm-store-rados.so";
#endif
	unsetenv("DMHSM_PLUGIN_DIR");
	/* Found through the run path; its open fails on the missing configuration. */
	Failure f = open_failure("rados://pool?conf=/nonexistent/ceph.conf");
	EXPECT_EQ(f.error, ENOENT) << f.what;
}

} // namespace
