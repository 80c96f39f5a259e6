#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-reserved.sh TOP
# Keeps tests/vm/reserved_fields.h complete: every field named pad... or
# reserved... of the argument of every ioctl of <xdsm/dmapi_ioctl.h> but
# DMAPI_IOC_VERSION (each element of an array apart) must be listed, so
# that the in-guest test and the fuzzer check the module refuses it set.
# The pads of structs nested in an argument are listed below by hand: only
# those the call reads (not handles or attributes it returns) must be zero.
set -eu
top=$1
header=$top/include/xdsm/dmapi_ioctl.h
table=$top/tests/vm/reserved_fields.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk '
/^struct dmapi_[a-z_]*_arg \{/ { st = $2; next }
st && /^};/ { st = ""; next }
st && match($0, /[ \t](pad|reserved)[a-z0-9_]*(\[[^]]*\])?;/) {
	f = substr($0, RSTART + 1, RLENGTH - 2)
	if (f ~ /\[/ && f !~ /\[[0-9]+\]/) {
		fields[st] = fields[st] " " f "(size?)"
	} else if (match(f, /\[[0-9]+\]/)) {
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
	# Listed, so that the count below sees the request; not a field.
	if (fields[s] == "")
		print cmd " " s " -"
	n = split(fields[s], list, " ")
	for (i = 1; i <= n; i++)
		print cmd " " s " " list[i]
}' "$header" >"$tmp/parsed"
# The nested struct a call reads: SET_FILEATTR's attributes.
echo "SET_FILEATTR dmapi_set_fileattr_arg attr.fa_pad" >>"$tmp/parsed"
sort "$tmp/parsed" >"$tmp/expected"

# Every request the header declares must have been seen.
declared=$(grep -c 'DMAPI_IOC_MAGIC,' "$header")
seen=$(($(cut -d' ' -f1 "$tmp/expected" | sort -u | wc -l) + 1))	# and VERSION
if [ "$declared" != "$seen" ]; then
	echo "check-reserved: $declared requests declared in $header, $seen parsed"
	exit 1
fi

sed -n 's/^[[:space:]]*DM_RESERVED(\([A-Z_]*\), \([a-z_]*\), \([^)]*\)),$/\1 \2 \3/p' \
	"$table" | sort >"$tmp/listed"

[ -s "$tmp/expected" ] || { echo "check-reserved: no ioctl found in $header"; exit 1; }
missing=$(grep -v ' -$' "$tmp/expected" | comm -23 - "$tmp/listed")
if [ -n "$missing" ]; then
	echo "check-reserved: $table does not list:"
	echo "$missing"
	exit 1
fi
echo "check-reserved: $(wc -l <"$tmp/expected") fields of $(cut -d' ' -f1 "$tmp/expected" | sort -u | wc -l) ioctls listed"
