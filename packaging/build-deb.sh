#!/bin/bash
# Builds autonomy-syncd_<version>_<arch>.deb from already built binaries, with dpkg-deb (no
# debhelper, no debian/ tree in the repository). Prints the path of the .deb on stdout.
#
#   packaging/build-deb.sh BIN_DIR OUT_DIR        (make deb: build/bin -> build/deb)
#
# BIN_DIR holds autonomy and autonomy-syncd. The version is the one compiled into them (CMake's
# project(VERSION), printed by --version; the two must agree); the architecture is dpkg's.
# Depends are computed by dpkg-shlibdeps from the binaries, plus what the maintainer scripts use.
# Environment: DEB_MAINTAINER="Name <email>" (the Maintainer field), DEB_BUILD_OPTIONS=nostrip
# (keep debug info; by default the binaries are stripped, as Debian does).
set -euo pipefail
umask 022

usage() {
  echo "usage: $0 BIN_DIR OUT_DIR" >&2
  exit 2
}
die() {
  echo "build-deb: $*" >&2
  exit 1
}
[ $# -eq 2 ] || usage
bin_dir=$1
out_dir=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=autonomy-syncd
maintainer=${DEB_MAINTAINER:-"autonomy-syncd maintainers <maintainers@autonomy-syncd.invalid>"}

for b in autonomy autonomy-syncd; do
  [ -x "$bin_dir/$b" ] || die "$bin_dir/$b: not found or not executable (build first: make build)"
done
for t in dpkg-deb dpkg-shlibdeps strip; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install dpkg-dev binutils, or make deps)"
done

# One source of truth: project(VERSION) in CMakeLists.txt, compiled into the binaries.
daemon_version=$("$bin_dir/autonomy-syncd" --version)
cli_version=$("$bin_dir/autonomy" --version)
version=${daemon_version#autonomy-syncd }
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "cannot read a version from '$daemon_version'"
[ "$cli_version" = "autonomy $version" ] ||
  die "autonomy --version says '$cli_version', autonomy-syncd says '$daemon_version': they must agree"
arch=$(dpkg --print-architecture)

work=$(mktemp -d "${TMPDIR:-/tmp}/autonomy-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# dpkg-shlibdeps wants a source tree: debian/control naming the package, files in debian/<pkg>.
mkdir -p "$work/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/debian/control"
root=$work/debian/$pkg
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib/systemd/system" \
  "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" "$root/etc/autonomy" \
  "$root/usr/share/doc/$pkg/examples"

install_binary() {  # $1 source, $2 destination
  if [[ " ${DEB_BUILD_OPTIONS:-} " == *" nostrip "* ]]; then
    install -m 0755 "$1" "$2"
  else
    strip --remove-section=.comment --remove-section=.note -o "$2" "$1"
    chmod 0755 "$2"
  fi
}
install_binary "$bin_dir/autonomy" "$root/usr/bin/autonomy"
install_binary "$bin_dir/autonomy-syncd" "$root/usr/sbin/autonomy-syncd"
install -m 0644 "$src/systemd/autonomy-syncd.service" "$root/usr/lib/systemd/system/autonomy-syncd.service"
install -m 0644 "$src/systemd/sysusers.d/autonomy-syncd.conf" "$root/usr/lib/sysusers.d/autonomy-syncd.conf"
install -m 0644 "$src/systemd/tmpfiles.d/autonomy-syncd.conf" "$root/usr/lib/tmpfiles.d/autonomy-syncd.conf"
# The installed config has nothing that names a file the package does not create, so
# `autonomy-syncd --check-config` passes on a fresh install; the fully documented example
# (keys, registries, schedules) goes with the docs.
install -m 0644 "$src/config/syncd.default.yaml" "$root/etc/autonomy/syncd.yaml"
install -m 0644 "$src/config/syncd.yaml" "$root/usr/share/doc/$pkg/examples/syncd.yaml"
install -m 0644 "$src/README.md" "$root/usr/share/doc/$pkg/README.md"
install -m 0644 "$src/packaging/copyright" "$root/usr/share/doc/$pkg/copyright"
install -d -m 0755 "$root/usr/share/doc/$pkg/grafana"
install -m 0644 "$src/packaging/grafana/autonomy-syncd.json" "$root/usr/share/doc/$pkg/grafana/autonomy-syncd.json"
# A native package's changelog, whose newest entry must be this version.
changelog_version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$src/packaging/changelog")
[ "$changelog_version" = "$version" ] ||
  die "packaging/changelog starts with version '$changelog_version', the binaries are $version: add an entry"
gzip -9n <"$src/packaging/changelog" >"$root/usr/share/doc/$pkg/changelog.gz"
# Man pages from the programs' own --help (help2man) plus syncd.yaml(5).
command -v help2man >/dev/null || die "help2man not found (apt-get install help2man, or make deps)"
"$src/packaging/make-man.sh" "$bin_dir" "$work/man"
install -d -m 0755 "$root/usr/share/man/man1" "$root/usr/share/man/man5" "$root/usr/share/man/man8"
gzip -9n <"$work/man/autonomy.1" >"$root/usr/share/man/man1/autonomy.1.gz"
gzip -9n <"$work/man/syncd.yaml.5" >"$root/usr/share/man/man5/syncd.yaml.5.gz"
gzip -9n <"$work/man/autonomy-syncd.8" >"$root/usr/share/man/man8/autonomy-syncd.8.gz"
chmod 0644 "$root"/usr/share/man/man*/*.gz "$root/usr/share/doc/$pkg/changelog.gz"

for s in postinst prerm postrm; do
  install -m 0755 "$src/packaging/maintscripts/$s" "$root/DEBIAN/$s"
done
echo /etc/autonomy/syncd.yaml >"$root/DEBIAN/conffiles"
# Checksums of everything but the control files and the conffile (dpkg records conffiles itself).
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

# Library dependencies with the minimum versions the binaries need (from the symbols files).
shlibs=$(cd "$work" && dpkg-shlibdeps -O "-edebian/$pkg/usr/bin/autonomy" "-edebian/$pkg/usr/sbin/autonomy-syncd" |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps computed no dependencies"
# postinst creates the system user with systemd-sysusers, or adduser where that is missing (the
# maintainer scripts drive the service through init-system-helpers, which is essential).
depends="$shlibs, adduser"
installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$root" | cut -f1)

cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: admin
Priority: optional
Description: signed OCI image replication between edge registries
 autonomy registry sync copies container images from one edge registry to a
 peer: only the blobs the peer lacks are sent, transfers resume over flaky or
 slow links, and nothing the fleet's cosign key did not sign is written.
 .
 autonomy-syncd runs the same engine as a systemd service with a REST API
 (127.0.0.1:7480, bearer token) and periodic re-seeding schedules. The package
 creates the autonomy-syncd user, the state directory and an API token, but
 does not enable or start the service: edit /etc/autonomy/syncd.yaml, then
 systemctl enable --now autonomy-syncd.
EOF
chmod 0644 "$root/DEBIAN/control"

mkdir -p "$out_dir"
deb="$out_dir/${pkg}_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
