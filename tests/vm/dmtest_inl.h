// SPDX-License-Identifier: GPL-2.0
#ifndef DMAPI_TESTS_VM_DMTEST_INL_H
#define DMAPI_TESTS_VM_DMTEST_INL_H

#include <sys/wait.h>
#include <unistd.h>

namespace dmtest {

template <typename Fn> int in_child(Fn fn)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	if (pid < 0)
		return -1;
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

template <typename Fn> Child::Child(Fn fn)
{
	pid_ = fork();
	if (pid_ == 0)
		_exit(fn());
}

} // namespace dmtest

#endif
