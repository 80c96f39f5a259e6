#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-dmapi-vm.sh TOP: what tools/dmapi-vm promises beyond booting.
# * --icount: the guest's clock counts instructions, so the same loop
#   takes four times as long by it at 16 ns an instruction (shift 4) as
#   at 4 ns (shift 2), whatever the host does; the guest has one CPU
#   unless asked; bad shifts and KVM are refused with a usage error
#   (exit 2).
# * TCG's CPU has no ERMS, whose byte-at-a-time string instructions TCG
#   counts one instruction a byte, and no LA57, with which a KASAN kernel
#   reports false wild memory accesses while booting.
# * A report in the kernel log before the module loads (injected through
#   the command line, which the kernel logs) boots the guest once more,
#   and a second one is exit 100 with COMMAND not run.
# * A report logged while COMMAND runs makes its exit 0 an exit 100, and
#   the report is shown.
# * A panic in NMI context (QEMU's monitor injects the NMI), whose
#   messages printk defers, is exit 101 with the whole report shown; a
#   panic that does not reboot is 101 too, not a timeout.
# Skipped (77) where the guest kernels are not prepared (make deps).
set -u
top=$1
vm=$top/tools/dmapi-vm
ls "$top"/build/kernels/abi-* >/dev/null 2>&1 || {
	echo "SKIP: no guest kernels (make deps)"
	exit 77
}
fail=0

# loop_time SHIFT: the guest's CPUs, the microseconds a loop of the
# shell took by the guest's clock, the second time round (the first
# reads the shell's pages from the host), and whether CPUID offers ERMS
# and LA57 (leaf 7: EBX bit 9, ECX bit 16; 1 where glibc's loader does
# not say).  CPUID rather than /proc/cpuinfo: a kernel that does not use
# 5-level page tables hides LA57 there.
loop_time()
{
	# shellcheck disable=SC2016	# expanded in the guest
	timeout -k 5 300 "$vm" --no-module --icount "$1" --timeout 0 -- bash -c '
		loop() { for ((i = 0; i < 100000; i++)); do :; done; }
		loop; a=${EPOCHREALTIME/./}; loop; b=${EPOCHREALTIME/./}
		leaf7=$(/lib64/ld-linux-x86-64.so.2 --list-diagnostics |
			sed -n "s/^x86.cpu_features.features\[0x1\].cpuid\[0x\([12]\)\]=/\1 /p")
		ebx=$(echo "$leaf7" | sed -n "s/^1 //p"); ecx=$(echo "$leaf7" | sed -n "s/^2 //p")
		echo "$(nproc) $((b - a)) $(((${ebx:--1} >> 9) & 1)) $(((${ecx:--1} >> 16) & 1))"' 2>&1
}
t2=$(loop_time 2)
t4=$(loop_time 4)
echo "$t2 $t4" | awk '$1 == 1 && $5 == 1 && $2 > 0 { r = $6 / $2; exit !(r > 3.5 && r < 4.5) }
	{ exit 1 }' ||
	{ echo "FAIL: --icount: the loop's CPUs and time at shift 2 '$t2', at shift 4 '$t4'"; fail=1; }
echo "$t2 $t4" | awk 'NF == 8 && $3 $4 $7 $8 == "0000" { exit 0 } { exit 1 }' ||
	{ echo "FAIL: TCG's CPU has ERMS or LA57 (CPUs, time, ERMS, LA57) at shift 2 and 4: '$t2', '$t4'"; fail=1; }

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

# monitor SOCK COMMAND: send COMMAND to the human monitor on SOCK.
monitor()
{
	perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$ARGV[0]: $!";
		print $s "$ARGV[1]\n";
		sleep 1;' "$1" "$2"
}
# In /tmp whatever TMPDIR is: a Unix socket path has 108 bytes at most.
dir=$(mktemp -d /tmp/dmapi-vm-nmi.XXXXXX)
"$vm" --no-module --timeout 600 --monitor "$dir/monitor" \
	--append unknown_nmi_panic=1 -- sh -c 'echo ready; sleep 500' \
	>"$dir/out" 2>"$err" &
pid=$!
while ! grep -q ready "$dir/out" && kill -0 $pid 2>/dev/null; do
	sleep 0.1
done
ready=$(cat "$dir/out")
monitor "$dir/monitor" nmi
wait $pid
rc=$?
[ "$ready" = ready ] && [ $rc -eq 101 ] && grep -q 'the guest kernel panicked' "$err" &&
	grep -q 'Kernel panic - not syncing: NMI' "$err" &&
	grep -q 'Call Trace' "$err" ||
	{ echo "FAIL: a panic in NMI context: COMMAND said '$ready', exit $rc (not 101), or its report not shown";
	  tail -3 "$err"; fail=1; }
rm -rf "$dir"
# A panic that does not reboot (panic=0) is told as a panic, not a timeout.
out=$("$vm" --no-module --timeout 20 --append panic=0 -- \
	sh -c 'echo c >/proc/sysrq-trigger' 2>"$err")
rc=$?
[ $rc -eq 101 ] && grep -q 'panicked (and did not reboot)' "$err" ||
	{ echo "FAIL: a panic that did not reboot: exit $rc (not 101)"; tail -3 "$err"; fail=1; }
rm -f "$err"
exit $fail
