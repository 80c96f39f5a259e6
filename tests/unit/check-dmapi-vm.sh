#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-dmapi-vm.sh TOP: what tools/dmapi-vm promises beyond booting.
# * --icount: the guest's clock counts instructions, so an idle guest
#   skips ahead to its next timer and a 600 s sleep in it ends long
#   before 120 s of the host's; the guest has one CPU unless asked; bad
#   shifts and KVM are refused with a usage error (exit 2).
# * A report in the kernel log before the module loads (injected through
#   the command line, which the kernel logs) boots the guest once more,
#   and a second one is exit 100 with COMMAND not run.
# * A report logged while COMMAND runs makes its exit 0 an exit 100, and
#   the report is shown.
# Skipped (77) where the guest kernels are not prepared (make deps).
set -u
top=$1
vm=$top/tools/dmapi-vm
ls "$top"/build/kernels/abi-* >/dev/null 2>&1 || {
	echo "SKIP: no guest kernels (make deps)"
	exit 77
}
fail=0

out=$(timeout -k 5 120 "$vm" --no-module --icount 2 --timeout 0 -- \
	sh -c 'sleep 600 && nproc' 2>&1)
rc=$?
[ $rc -eq 0 ] && [ "$out" = 1 ] ||
	{ echo "FAIL: a 600 s sleep under --icount: exit $rc, output '$out'"; fail=1; }

for args in "--icount 11" "--icount -1" "--icount x" "--icount 2 --accel kvm"; do
	# shellcheck disable=SC2086	# the words are options
	out=$("$vm" $args -- true 2>&1)
	rc=$?
	[ $rc -eq 2 ] && echo "$out" | grep -q icount ||
		{ echo "FAIL: $args: exit $rc (not 2), '$out'"; fail=1; }
done
err=$(mktemp)
out=$("$vm" --no-module --append BUG:injected -- echo COMMAND ran 2>"$err")
rc=$?
[ $rc -eq 100 ] && [ -z "$out" ] &&
	grep -q 'booting it again' "$err" &&
	grep -q 'COMMAND did not run' "$err" ||
	{ echo "FAIL: a report while booting: exit $rc (not 100), stdout '$out'";
	  tail -3 "$err"; fail=1; }
out=$("$vm" --no-module -- sh -c 'echo "BUG: injected by COMMAND" >/dev/kmsg' 2>"$err")
rc=$?
[ $rc -eq 100 ] && grep -q 'BUG: injected by COMMAND' "$err" ||
	{ echo "FAIL: a report while COMMAND ran: exit $rc (not 100)"; tail -3 "$err"; fail=1; }
rm -f "$err"
exit $fail
