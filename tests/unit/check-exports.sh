#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-exports.sh HEADER LIBRARY
# Fails unless LIBRARY's dynamic symbols are exactly the functions that
# HEADER declares (69 for <xdsm/dmapi.h>), each with the default symbol
# version DMAPI_1.0 of libdmapi.map, and that version node.
set -eu
header=$1
lib=$2
version=DMAPI_1.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n 's/^extern [a-z_ ]*[ *]\(dm_[a-z_]*\)(.*/\1/p' "$header" | sort >"$tmp/declared"
nm -D --defined-only "$lib" | awk '{ print $2, $3 }' | sort >"$tmp/exported"
awk '$1 == "T" { print $2 }' "$tmp/exported" | sort >"$tmp/versioned"
sed 's/@@.*//' "$tmp/versioned" | sort >"$tmp/functions"

others=$(awk -v node="$version" '$1 != "T" && !($1 == "A" && $2 == node)' "$tmp/exported")
if [ -n "$others" ]; then
	echo "$lib exports other symbols:"; echo "$others"; exit 1
fi
if grep -v "@@$version\$" "$tmp/versioned"; then
	echo "$lib: the functions above lack the default version $version"; exit 1
fi
if ! diff -u "$tmp/declared" "$tmp/functions"; then
	echo "$lib: exported functions differ from $header"; exit 1
fi
n=$(wc -l <"$tmp/functions")
[ "$n" -eq 69 ] || { echo "$lib exports $n functions, not 69"; exit 1; }
echo "$lib: $n dm_* functions of version $version, nothing else"
