#!/bin/bash
# `make image`: an OCI image of autonomy-syncd, built with buildah from scratch out of this
# machine's build (no base image is downloaded): the two binaries, exactly the shared libraries
# ldd names for them (and the loader), the CA bundle, a passwd/group with the non-root user
# autonomy-syncd (uid/gid 10001), /etc/autonomy and /var/lib/autonomy-syncd as volumes, and a
# health check that runs `autonomy-syncd --healthcheck` (GET /healthz; the image has no shell).
#
#   packaging/image/build-image.sh BIN_DIR [IMAGE]     (default localhost/autonomy-syncd:<version>)
#
# Committed in Docker format: OCI image configs have no HEALTHCHECK. Needs root (buildah mount).
set -euo pipefail
umask 022
die() {
  echo "build-image: $*" >&2
  exit 1
}
[ $# -ge 1 ] && [ $# -le 2 ] || {
  echo "usage: $0 BIN_DIR [IMAGE]" >&2
  exit 2
}
bin_dir=$1
for b in autonomy autonomy-syncd; do
  [ -x "$bin_dir/$b" ] || die "$bin_dir/$b: not found (build first: make build)"
done
command -v buildah >/dev/null || die "buildah not found (apt-get install buildah, or make deps)"
[ "$(id -u)" = 0 ] || die "needs root (buildah mount of a scratch container)"
version=$("$bin_dir/autonomy-syncd" --version)
version=${version#autonomy-syncd }
image=${2:-localhost/autonomy-syncd:$version}
uid=10001

export BUILDAH_FORMAT=docker
ctr=$(buildah from --name "autonomy-syncd-build-$$" scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
root=$(buildah mount "$ctr")

install -d -m 0755 "$root/usr/bin" "$root/usr/sbin" "$root/etc/ssl/certs"
strip --remove-section=.comment --remove-section=.note -o "$root/usr/sbin/autonomy-syncd" "$bin_dir/autonomy-syncd"
strip --remove-section=.comment --remove-section=.note -o "$root/usr/bin/autonomy" "$bin_dir/autonomy"
chmod 0755 "$root/usr/sbin/autonomy-syncd" "$root/usr/bin/autonomy"

# The libraries at the paths ldd resolves them to, and the ELF interpreter, as regular files.
libs=$(ldd "$bin_dir/autonomy-syncd" "$bin_dir/autonomy" |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u)
[ -n "$libs" ] || die "ldd found no libraries"
for lib in $libs; do
  install -D -m 0644 "$(readlink -f "$lib")" "$root$lib"
done
chmod 0755 "$root"/lib64/ld-linux-*.so.* 2>/dev/null || true
ldconfig -r "$root" 2>/dev/null || true  # /etc/ld.so.cache inside the image

install -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nautonomy-syncd:x:%s:%s:autonomy-syncd:/var/lib/autonomy-syncd:/usr/sbin/nologin\n' \
  "$uid" "$uid" >"$root/etc/passwd"
printf 'root:x:0:\nautonomy-syncd:x:%s:\n' "$uid" >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
install -d -m 0755 -o "$uid" -g "$uid" "$root/etc/autonomy"
install -d -m 0750 -o "$uid" -g "$uid" "$root/var/lib/autonomy-syncd"
install -d -m 1777 "$root/tmp"
buildah umount "$ctr" >/dev/null

buildah config \
  --user "$uid:$uid" \
  --workingdir /var/lib/autonomy-syncd \
  --volume /etc/autonomy --volume /var/lib/autonomy-syncd \
  --port 7480 \
  --entrypoint '["/usr/sbin/autonomy-syncd"]' \
  --cmd '--config /etc/autonomy/syncd.yaml' \
  --healthcheck 'CMD /usr/sbin/autonomy-syncd --config /etc/autonomy/syncd.yaml --healthcheck' \
  --healthcheck-interval 30s --healthcheck-timeout 10s --healthcheck-retries 3 --healthcheck-start-period 10s \
  --label org.opencontainers.image.title=autonomy-syncd \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.description="Signed OCI image replication between edge registries" \
  "$ctr"
buildah commit --quiet --format docker "$ctr" "$image" >/dev/null
echo "$image"
