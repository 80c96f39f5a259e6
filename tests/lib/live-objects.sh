# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the in-guest checks that compare the module's live objects
# (debugfs dmapi/objects, kmod/debugfs.c) with a baseline.

live_objects=/sys/kernel/debug/dmapi/objects

# live_objects_settled BASELINE: the live objects once they equal
# BASELINE, or as they are after 30 s.  Inodes and their interests are
# freed a grace period (RCU) after their last reference, so an unmount
# that returned may still have some on the way out; and the kernels' lazy
# RCU holds such callbacks back up to 10 s unless memory is short, which
# the slab shrinkers that drop_caches runs make it flush.
live_objects_settled()
{
	local now tenths=300

	now=$(cat $live_objects)
	[ "$now" = "$1" ] || echo 2 >/proc/sys/vm/drop_caches
	while [ "$now" != "$1" ] && [ $tenths -gt 0 ]; do
		sleep 0.1
		tenths=$((tenths - 1))
		now=$(cat $live_objects)
	done
	echo "$now"
}
