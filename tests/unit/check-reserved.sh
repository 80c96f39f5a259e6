#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-reserved.sh TOP
# Keeps tests/vm/reserved_fields.h complete: every "padding" and "reserved"
# field of the argument of every ioctl of <xdsm/dmapi_ioctl.h> but
# DMAPI_IOC_VERSION (each element of an array apart) must be listed, so
# that the in-guest test and the fuzzer check the module refuses it set.
set -eu
top=$1
header=$top/include/xdsm/dmapi_ioctl.h
table=$top/tests/vm/reserved_fields.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk '
/^struct dmapi_[a-z_]*_arg \{/ { st = $2; next }
st && /^};/ { st = ""; next }
st && match($0, /[ \t](padding|reserved)(\[[0-9]+\])?;/) {
	f = substr($0, RSTART + 1, RLENGTH - 2)
	if (match(f, /\[[0-9]+\]/)) {
		n = substr(f, RSTART + 1, RLENGTH - 2)
		base = substr(f, 1, RSTART - 1)
		for (i = 0; i < n; i++)
			fields[st] = fields[st] " " base "[" i "]"
	} else {
		fields[st] = fields[st] " " f
	}
}
/^#define DMAPI_IOC_[A-Z_]+[ \t]+_IO/ {
	cmd = $2; sub(/^DMAPI_IOC_/, "", cmd)
	s = $0; sub(/.*struct /, "", s); sub(/\).*/, "", s)
	if (cmd == "VERSION")
		next
	if (fields[s] == "")
		print cmd " " s " (no reserved field)"
	n = split(fields[s], list, " ")
	for (i = 1; i <= n; i++)
		print cmd " " s " " list[i]
}' "$header" | sort >"$tmp/expected"

sed -n 's/^[[:space:]]*DM_RESERVED(\([A-Z_]*\), \([a-z_]*\), \([^)]*\)),$/\1 \2 \3/p' \
	"$table" | sort >"$tmp/listed"

[ -s "$tmp/expected" ] || { echo "check-reserved: no ioctl found in $header"; exit 1; }
missing=$(comm -23 "$tmp/expected" "$tmp/listed")
if [ -n "$missing" ]; then
	echo "check-reserved: $table does not list:"
	echo "$missing"
	exit 1
fi
echo "check-reserved: $(wc -l <"$tmp/expected") fields of $(cut -d' ' -f1 "$tmp/expected" | sort -u | wc -l) ioctls listed"
