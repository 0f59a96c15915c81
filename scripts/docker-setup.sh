#!/bin/sh
# docker-setup.sh: make a fresh Debian machine ready for zdt's real provider and `zdt images build`.
#
# It installs what is missing (Debian's docker.io, jq, debootstrap), starts dockerd when no daemon
# answers, and, when this host withholds CAP_SYS_RESOURCE (privileged containers then fail with
# "unable to apply caps"), registers hack/runc-wrapper.sh as dockerd's default runtime. Each step
# is skipped when already done, and every line it prints says what it did or found. Run as root.
set -eu

say() { echo "docker-setup: $*"; }
die() { echo "docker-setup: error: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
wrapper_src="$here/../hack/runc-wrapper.sh"
wrapper=/usr/local/libexec/zdt/runc-wrapper
daemon_json=/etc/docker/daemon.json
dockerd_log=${ZDT_DOCKERD_LOG:-/var/log/zdt-dockerd.log}
runtime_name=zdt-runc

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and configures dockerd)"

# 1. Packages: dockerd (docker.io), jq for the runc wrapper, debootstrap for node images.
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
if [ -n "$missing" ]; then
	say "installing Debian packages:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	say "packages present: dockerd $(dockerd --version | sed 's/^Docker version //'), jq, debootstrap"
fi

# 2. The runc wrapper, when the kernel withholds CAP_SYS_RESOURCE (bit 24 of the bounding set).
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
config_changed=no
if [ $(( 0x$capbnd & 0x1000000 )) -eq 0 ]; then
	say "CAP_SYS_RESOURCE is missing from this host's capability bounding set ($capbnd): privileged containers need the runc wrapper"
	mkdir -p "$(dirname "$wrapper")"
	if ! cmp -s "$wrapper_src" "$wrapper"; then
		install -m 0755 "$wrapper_src" "$wrapper"
		say "installed $wrapper"
	else
		say "$wrapper is up to date"
	fi
	mkdir -p "$(dirname "$daemon_json")"
	[ -s "$daemon_json" ] || echo '{}' >"$daemon_json"
	new=$(jq --arg name "$runtime_name" --arg path "$wrapper" \
		'.runtimes[$name] = {path: $path} | ."default-runtime" = $name' "$daemon_json")
	if [ "$new" != "$(jq . "$daemon_json")" ]; then
		printf '%s\n' "$new" >"$daemon_json"
		config_changed=yes
		say "registered $runtime_name as dockerd's default runtime in $daemon_json"
	else
		say "$daemon_json already makes $runtime_name the default runtime"
	fi
else
	say "this host grants CAP_SYS_RESOURCE: no runc wrapper needed"
fi

# 3. The daemon: start it when none answers, reload it when its configuration changed.
wait_daemon() {
	i=0
	while [ $i -lt 60 ]; do
		docker info >/dev/null 2>&1 && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}
if docker info >/dev/null 2>&1; then
	if [ "$config_changed" = yes ]; then
		pid=$(pidof dockerd || true)
		[ -n "$pid" ] || die "a Docker daemon answers but no dockerd process is visible: reload it by hand"
		kill -HUP $pid
		sleep 2
		say "reloaded dockerd (pid $pid) for the new runtime configuration"
	else
		say "dockerd is running"
	fi
else
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		systemctl start docker
		say "started dockerd with systemctl"
	else
		nohup dockerd >>"$dockerd_log" 2>&1 &
		say "started dockerd (pid $!, no systemd here), log in $dockerd_log"
	fi
	wait_daemon || die "dockerd did not answer within 60 s; see $dockerd_log"
fi
default=$(docker info --format '{{.DefaultRuntime}}')
say "dockerd $(docker version --format '{{.Server.Version}}') answers; default runtime $default"

# 4. Containers reach nothing off this machine: zdt's clusters need no egress (no registry), and
# a packet for an address no route inside a cluster covers (a pod IP a node has no route to yet)
# would otherwise follow the default route off the machine. Set ZDT_CONTAINER_EGRESS=allow to
# leave forwarding as Docker made it (e.g. where nodes pull images from a registry).
if [ "${ZDT_CONTAINER_EGRESS:-}" = allow ]; then
	say "ZDT_CONTAINER_EGRESS=allow: containers may reach other machines"
elif command -v iptables >/dev/null 2>&1 && iptables -L DOCKER-USER -n >/dev/null 2>&1; then
	for bridge in 'br-+' docker0; do
		rule="-i $bridge ! -o br-+ -m comment --comment zdt-no-egress -j REJECT --reject-with icmp-host-unreachable"
		if iptables -C DOCKER-USER $rule 2>/dev/null; then
			say "containers on $bridge already reach nothing off this machine"
		else
			iptables -I DOCKER-USER $rule
			say "containers on $bridge now reach nothing off this machine (iptables DOCKER-USER)"
		fi
		# Each refused packet's destination goes to the kernel log (at most 20 a second), so
		# that a real run can say what its containers tried to reach (zdt reads it back).
		log="-i $bridge ! -o br-+ -m comment --comment zdt-no-egress-log -m limit --limit 20/second --limit-burst 50 -j LOG --log-prefix zdt-no-egress:"
		if ! iptables -C DOCKER-USER $log 2>/dev/null; then
			iptables -I DOCKER-USER $log && say "refused packets on $bridge are logged to the kernel log (prefix zdt-no-egress:)"
		fi
	done
else
	say "warning: no iptables DOCKER-USER chain: cannot keep containers from reaching other machines"
fi

# 5. Kernel limits kind needs: every node runs systemd, containerd and a kubelet, each with inotify
# instances of its own; the default of 128 makes kubelets and kube-proxy fail with "too many open
# files" once a management cluster and a workload cluster of a few nodes run.
raise_sysctl() {
	key=$1 want=$2
	have=$(sysctl -n "$key" 2>/dev/null || echo 0)
	if [ "$have" -ge "$want" ]; then
		say "$key is $have (kind needs at least $want)"
	elif sysctl -qw "$key=$want" 2>/dev/null; then
		say "raised $key from $have to $want for kind's nodes"
	else
		say "warning: could not raise $key from $have to $want: kind nodes may fail with too many open files"
	fi
}
raise_sysctl fs.inotify.max_user_instances 8192
raise_sysctl fs.inotify.max_user_watches 524288

# 6. Proof: a privileged container starts. The probe image holds only docker-init (static tini).
init=$(command -v docker-init || true)
[ -n "$init" ] || init=$(ls /usr/libexec/docker/docker-init /usr/bin/tini-static 2>/dev/null | head -n1 || true)
if [ -z "$init" ]; then
	say "no static docker-init found to probe privileged containers with; skipped the check"
	exit 0
fi
if ! docker image inspect zdt/probe:1 >/dev/null 2>&1; then
	tmp=$(mktemp -d)
	cp "$init" "$tmp/init"
	tar -C "$tmp" -cf - init | docker import -c 'ENTRYPOINT ["/init"]' - zdt/probe:1 >/dev/null
	rm -rf "$tmp"
fi
if out=$(docker run --rm --privileged zdt/probe:1 --version 2>&1); then
	say "a privileged container runs: $out"
else
	die "a privileged container fails: $out"
fi
