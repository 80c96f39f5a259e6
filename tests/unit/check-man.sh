#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-man.sh TOP TOOLDIR
# Keeps the manual pages true to the code: every function <xdsm/dmapi.h>
# declares has its page (man dm_get_events finds it), every parameter of
# dmapi.ko is in dmapi(4), and every long option a tool's --help shows is
# in that tool's page.
set -eu
top=$1
tools=$2
man=$top/docs/man
failures=0

fail()
{
	echo "check-man: $*"
	failures=$((failures + 1))
}

for fn in $(sed -n 's/^extern [a-z_ ]*[ *]\(dm_[a-z_]*\)(.*/\1/p' "$top/include/xdsm/dmapi.h"); do
	[ -f "$man/$fn.3" ] || fail "no page $fn.3 for $fn()"
done

for param in $(sed -n 's/^DM_BOUNDED_PARAM(\([a-z_]*\),.*/\1/p' "$top/kmod/main.c"); do
	grep -q "^\.B $param\$" "$man/dmapi.4" || fail "dmapi.4 does not describe parameter $param"
done

# In groff sources a dash is written \- : --store is \-\-store.
for tool in dmctl:dmctl.8 dmhsm:dmhsm.1 dmhsmd:dmhsmd.8; do
	bin=$tools/${tool%%:*} page=$man/${tool#*:}
	for opt in $("$bin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		escaped=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
		grep -q -- "$escaped" "$page" || fail "${page##*/} does not describe $opt"
	done
done

[ $failures -eq 0 ] && echo "check-man: every function, parameter and option has its page"
[ $failures -eq 0 ]
