#!/bin/sh
# zdt-runc: runc for hosts that withhold CAP_SYS_RESOURCE from every process.
#
# On such a host `docker run --privileged` (what kind and the Cluster API Docker provider do)
# fails with "unable to apply caps": the OCI spec asks for a capability the kernel will not give.
# scripts/docker-setup.sh registers this wrapper as dockerd's default runtime. It removes
# CAP_SYS_RESOURCE from the spec runc is about to use (the bundle's config.json for create and
# run, the --process file for exec) and then runs the real runc with the same arguments.
set -eu

REAL_RUNC=${ZDT_REAL_RUNC:-/usr/bin/runc}

# strip FILE PATH removes CAP_SYS_RESOURCE from every capability set under the jq PATH of FILE.
strip() {
	[ -f "$1" ] || return 0
	grep -q CAP_SYS_RESOURCE "$1" || return 0
	tmp=$(mktemp "$1.zdt.XXXXXX")
	if jq "if $2 != null then $2 |= with_entries(.value |= (if type == \"array\" then map(select(. != \"CAP_SYS_RESOURCE\")) else . end)) else . end" "$1" >"$tmp"; then
		cat "$tmp" >"$1"
	fi
	rm -f "$tmp"
}

prev=""
for arg in "$@"; do
	case "$prev" in
	--bundle | -b) strip "$arg/config.json" .process.capabilities ;;
	--process | -p) strip "$arg" .capabilities ;;
	esac
	case "$arg" in
	--bundle=*) strip "${arg#--bundle=}/config.json" .process.capabilities ;;
	--process=*) strip "${arg#--process=}" .capabilities ;;
	esac
	prev=$arg
done

exec "$REAL_RUNC" "$@"
