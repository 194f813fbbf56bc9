#!/bin/bash
# The .deb end to end, without installing it on this machine:
#   deb_test.sh BIN_DIR SOURCE_DIR VERSION
# builds it with packaging/build-deb.sh from BIN_DIR, then checks what it holds (dpkg-deb -c, -I,
# -f, md5sums), unpacks it into a scratch root (dpkg-deb -x), runs the unpacked binaries, runs
# the real maintainer scripts against that root (DPKG_ROOT, as dpkg --root does: the user comes
# from systemd-sysusers --root, modes from systemd-tmpfiles --root, the token from postinst),
# runs `autonomy-syncd --check-config` on the installed config, and `systemd-analyze verify` on
# the unpacked unit. Every check that fails is reported; the exit status is 1 if any did, 77
# (skipped) if not root (the maintainer scripts need chown; everything else still runs).
set -uo pipefail

[ $# -eq 3 ] || {
  echo "usage: $0 BIN_DIR SOURCE_DIR VERSION" >&2
  exit 2
}
bin_dir=$1
src=$2
version=$3
arch=$(dpkg --print-architecture)
pkg=autonomy-syncd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/autonomy-deb-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() {
  echo "ok: $*"
}
# check DESCRIPTION COMMAND...: the command must succeed.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1: expected '$2', got '$3'"
  fi
}
# check_has DESCRIPTION NEEDLE HAYSTACK
check_has() {
  if [[ $3 == *"$2"* ]]; then
    pass "$1"
  else
    fail "$1: '$2' not in: $3"
  fi
}
# "mode uid gid" of a path (stat, numeric).
perms() {
  stat -c '%a %u %g' "$1" 2>&1
}
# Rewrites the absolute paths of an installed config into ROOT, so --check-config looks at the
# scratch root's token, keys and state dir; prints how many active lines were rewritten.
rooted_config() {  # ROOT IN OUT
  sed -e "s#/etc/autonomy/#$1/etc/autonomy/#g" -e "s#/var/lib/autonomy-syncd#$1/var/lib/autonomy-syncd#g" "$2" >"$3"
  grep -v '^ *#' "$3" | grep -c "$1/"
}
# Active lines of a config that still name a path outside ROOT.
host_paths() {  # ROOT FILE
  grep -v '^ *#' "$2" | grep -v "$1/" | grep -E '(^|[] :"[])/[a-z]'
  true
}
# Drops "<section>: {}" or "<section>: []" and strips "# " from the commented block below it
# (what the config's comments tell the reader to do).
uncomment() {  # SECTION < in > out
  awk -v s="$1" 'inb && /^# / { print substr($0, 3); next }
                 { inb = 0 }
                 $0 == s ": {}" || $0 == s ": []" { inb = 1; next }
                 { print }'
}

# ---------------------------------------------------------------------------------------- build
deb=$(bash "$src/packaging/build-deb.sh" "$bin_dir" "$tmp/out")
rc=$?
check_eq "build-deb.sh exits 0" 0 "$rc"
check_eq "build-deb.sh names the .deb" "$tmp/out/${pkg}_${version}_${arch}.deb" "$deb"
if [ ! -f "$deb" ]; then
  fail "no .deb at '$deb'"
  echo "$failures check(s) failed" >&2
  exit 1
fi

# One version: binaries that disagree about it are refused, and no .deb is written.
mkdir -p "$tmp/skew"
printf '#!/bin/sh\necho "autonomy 9.9.9"\n' >"$tmp/skew/autonomy"
printf '#!/bin/sh\necho "autonomy-syncd %s"\n' "$version" >"$tmp/skew/autonomy-syncd"
chmod 0755 "$tmp/skew/autonomy" "$tmp/skew/autonomy-syncd"
out=$(bash "$src/packaging/build-deb.sh" "$tmp/skew" "$tmp/skew-out" 2>&1)
rc=$?
check_eq "build-deb.sh refuses binaries with two versions: exit 1" 1 "$rc"
check_has "build-deb.sh says why" "they must agree" "$out"
check "no .deb from binaries with two versions" test -z "$(ls -A "$tmp/skew-out" 2>/dev/null)"

# ------------------------------------------------------------------------------------- contents
# Exactly these files (directories aside), with these modes, owned by root.
expected_files="-rw-r--r-- ./etc/autonomy/syncd.yaml
-rwxr-xr-x ./usr/bin/autonomy
-rw-r--r-- ./usr/lib/systemd/system/autonomy-syncd.service
-rw-r--r-- ./usr/lib/sysusers.d/autonomy-syncd.conf
-rw-r--r-- ./usr/lib/tmpfiles.d/autonomy-syncd.conf
-rwxr-xr-x ./usr/sbin/autonomy-syncd
-rw-r--r-- ./usr/share/doc/autonomy-syncd/README.md
-rw-r--r-- ./usr/share/doc/autonomy-syncd/changelog.gz
-rw-r--r-- ./usr/share/doc/autonomy-syncd/copyright
-rw-r--r-- ./usr/share/doc/autonomy-syncd/examples/syncd.yaml
-rw-r--r-- ./usr/share/doc/autonomy-syncd/grafana/autonomy-syncd.json
-rw-r--r-- ./usr/share/man/man1/autonomy.1.gz
-rw-r--r-- ./usr/share/man/man5/syncd.yaml.5.gz
-rw-r--r-- ./usr/share/man/man8/autonomy-syncd.8.gz"
listing=$(dpkg-deb -c "$deb")
check_eq "dpkg-deb -c: the files and their modes" "$expected_files" \
  "$(awk '$1 !~ /^d/ { print $1, $6 }' <<<"$listing" | LC_ALL=C sort -k2)"
check_eq "dpkg-deb -c: every entry owned by root/root" "" "$(awk '$2 != "root/root"' <<<"$listing")"
check_eq "dpkg-deb -c: directories are 0755" "" "$(awk '$1 ~ /^d/ && $1 != "drwxr-xr-x"' <<<"$listing")"

# ------------------------------------------------------------------------------------- lintian
# Debian's own checker: no error and no warning (informational tags are printed, not failed).
if command -v lintian >/dev/null; then
  lint=$(lintian --fail-on error,warning --tag-display-limit 0 "$deb" 2>&1)
  rc=$?
  printf '%s\n' "$lint" | grep -v 'running with root privileges' | sed 's/^/  lintian: /'
  check_eq "lintian: no errors or warnings" 0 "$rc"
else
  fail "lintian is not installed (make deps installs it)"
fi

# ----------------------------------------------------------------------------------- man pages
mkdir -p "$tmp/man"
dpkg-deb -x "$deb" "$tmp/man"
for page in man1/autonomy.1.gz man5/syncd.yaml.5.gz man8/autonomy-syncd.8.gz; do
  warnings=$(man --warnings -l "$tmp/man/usr/share/man/$page" 2>&1 >/dev/null)
  check_eq "man $page renders without warnings" "" "$warnings"
done
check_has "autonomy(1) holds the sync flags from --help" "--from-registry" \
  "$(LC_ALL=C man -l "$tmp/man/usr/share/man/man1/autonomy.1.gz" 2>/dev/null)"
check_has "autonomy-syncd(8) holds --check-config" "--check-config" \
  "$(LC_ALL=C man -l "$tmp/man/usr/share/man/man8/autonomy-syncd.8.gz" 2>/dev/null)"

# ------------------------------------------------------------------------------ control archive
info=$(dpkg-deb -I "$deb")
for member in control conffiles md5sums postinst prerm postrm; do
  check "dpkg-deb -I lists $member" grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +.* $member( |\$)" <<<"$info"
done
for script in postinst prerm postrm; do
  check "$script is executable" grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script +#!/bin/sh\$" <<<"$info"
done
check_eq "conffiles" "/etc/autonomy/syncd.yaml" "$(dpkg-deb -I "$deb" conffiles)"
field() {
  dpkg-deb -f "$deb" "$1"
}
check_eq "Package" "$pkg" "$(field Package)"
check_eq "Version (CMake project version)" "$version" "$(field Version)"
check_eq "Architecture" "$arch" "$(field Architecture)"
check "Maintainer is 'Name <email>'" grep -Eqx '[^<>]+ <[^<> ]+@[^<> ]+>' <<<"$(field Maintainer)"
check "Installed-Size is a size in KiB" grep -Eqx '[1-9][0-9]+' <<<"$(field Installed-Size)"
check_eq "Section" admin "$(field Section)"
check_eq "Priority" optional "$(field Priority)"
description=$(field Description)
check "Description has a synopsis and a long description" test "$(wc -l <<<"$description")" -ge 3
depends=$(field Depends)
# Package names in Depends, one a line (alternatives and versions dropped).
depends_names=$(tr ',|' '\n' <<<"$depends" | sed 's/(.*//; s/ //g' | grep .)
check_has "Depends: the user can be created" "adduser" "$depends"
# Cross-check dpkg-shlibdeps against dpkg -S: the package owning every library the binaries
# links directly (objdump NEEDED, resolved by ldd) is in Depends.
for b in autonomy autonomy-syncd; do
  for lib in $(objdump -p "$bin_dir/$b" | awk '$1 == "NEEDED" { print $2 }'); do
    path=$(ldd "$bin_dir/$b" | awk -v l="$lib" '$1 == l { print $3 }')
    owner=""
    for p in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
      [ -n "$p" ] || continue
      owner=$(dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$owner" ] && break
    done
    if [ -z "$owner" ]; then
      fail "$b needs $lib ($path): no package owns it"
      continue
    fi
    # The owner, or a name it provides (libspdlog1.10 provides libspdlog1.10-fmt9, say).
    names=$(printf '%s\n' "$owner" "$(dpkg-query -W -f='${Provides}' "$owner" 2>/dev/null)" |
      tr ',' '\n' | sed 's/(.*//; s/ //g' | grep .)
    check "Depends names $owner or what it provides ($b needs $lib)" \
      grep -Fxq -f <(printf '%s\n' "$names") <<<"$depends_names"
  done
done
check "Depends has libc6 with a minimum version" grep -Eq '(^|, )libc6 \(>= [0-9.]+\)' <<<"$depends"

# ------------------------------------------------------------------------------------- unpacked
root=$tmp/root
mkdir -p "$root" "$tmp/ctrl"
check "dpkg-deb -x" dpkg-deb -x "$deb" "$root"
check "dpkg-deb -e" dpkg-deb -e "$deb" "$tmp/ctrl"
check "md5sums match the unpacked files" bash -c "cd '$root' && md5sum --quiet -c '$tmp/ctrl/md5sums'"
check_eq "md5sums cover every file but the conffile" \
  "$(grep -v '^-.* \./etc/' <<<"$expected_files" | awk '{ print substr($2, 3) }')" \
  "$(awk '{ print $2 }' "$tmp/ctrl/md5sums" | LC_ALL=C sort)"
for script in postinst prerm postrm; do
  check "$script parses (sh -n)" sh -n "$tmp/ctrl/$script"
  check "$script runs under set -e" grep -qx 'set -e' "$tmp/ctrl/$script"
done
check_eq "autonomy --version" "autonomy $version" "$("$root/usr/bin/autonomy" --version 2>&1)"
check_eq "autonomy-syncd --version" "autonomy-syncd $version" "$("$root/usr/sbin/autonomy-syncd" --version 2>&1)"
for b in usr/bin/autonomy usr/sbin/autonomy-syncd; do
  check "$b is stripped (no .debug_info)" bash -c "! readelf -S '$root/$b' | grep -q '\.debug_info'"
done
check "installed config is config/syncd.default.yaml" cmp -s "$src/config/syncd.default.yaml" "$root/etc/autonomy/syncd.yaml"
check "documented example is config/syncd.yaml" cmp -s "$src/config/syncd.yaml" \
  "$root/usr/share/doc/$pkg/examples/syncd.yaml"
check "unit is systemd/autonomy-syncd.service" cmp -s "$src/systemd/autonomy-syncd.service" \
  "$root/usr/lib/systemd/system/autonomy-syncd.service"
check "sysusers.d file" cmp -s "$src/systemd/sysusers.d/autonomy-syncd.conf" "$root/usr/lib/sysusers.d/autonomy-syncd.conf"
check "tmpfiles.d file" cmp -s "$src/systemd/tmpfiles.d/autonomy-syncd.conf" "$root/usr/lib/tmpfiles.d/autonomy-syncd.conf"
# The unit's Documentation= points into the package.
doc=$(sed -n 's#^Documentation=file:##p' "$root/usr/lib/systemd/system/autonomy-syncd.service")
check "the unit's Documentation= ($doc) is shipped" test -n "$doc" -a -f "$root$doc"

# The installed config only names what the package creates: before postinst there is no token.
cfg=$tmp/syncd.yaml
check_eq "installed config: token_file and state_dir are rewritten into the root" 2 \
  "$(rooted_config "$root" "$root/etc/autonomy/syncd.yaml" "$cfg")"
check_eq "installed config: no other absolute path" "" "$(host_paths "$root" "$cfg")"
out=$("$root/usr/sbin/autonomy-syncd" --check-config --config "$cfg" 2>&1)
rc=$?
check_eq "--check-config before postinst: exit 2" 2 "$rc"
check_has "--check-config before postinst: names the missing token" "$root/etc/autonomy/syncd.token" "$out"

# ---------------------------------------------------------------------------------- systemd unit
if command -v systemd-analyze >/dev/null; then
  # verify checks that ExecStart= binaries exist: a copy of the root, with the system's units
  # (for network-online.target and friends) and /bin/kill (ExecReload=).
  vroot=$tmp/verify-root
  cp -a "$root" "$vroot"
  mkdir -p "$vroot/bin" "$vroot/etc/systemd/system"
  cp /bin/kill "$vroot/bin/kill"
  cp -a /usr/lib/systemd/system/. "$vroot/usr/lib/systemd/system/"
  out=$(systemd-analyze verify --root="$vroot" autonomy-syncd.service 2>&1)
  rc=$?
  check_eq "systemd-analyze verify: exit 0" 0 "$rc"
  check_eq "systemd-analyze verify: no warnings" "" "$out"
  rm -rf "$vroot"
else
  echo "note: no systemd-analyze, unit not verified"
fi

# ---------------------------------------------------------------------------- maintainer scripts
if [ "$(id -u)" != 0 ]; then
  echo "not root: the maintainer scripts (chown) are not run; $failures check(s) failed"
  [ "$failures" -eq 0 ] && exit 77
  exit 1
fi
host_accounts=$(cat /etc/passwd /etc/group | md5sum)

# Runs a maintainer script against ROOT, as dpkg --root would.
maint() {  # ROOT SCRIPT ARGS...
  local r=$1 s=$2
  shift 2
  DPKG_ROOT=$r sh "$tmp/ctrl/$s" "$@"
}
# Owners and modes after configure, as the tmpfiles.d file says.
check_layout() {  # ROOT LABEL
  local r=$1 l=$2 uid gid
  check "$l: user autonomy-syncd (home /var/lib/autonomy-syncd, no login)" \
    grep -Eq '^autonomy-syncd:x:[0-9]+:[0-9]+:[^:]*:/var/lib/autonomy-syncd:/usr/sbin/nologin$' "$r/etc/passwd"
  uid=$(awk -F: '$1 == "autonomy-syncd" { print $3 }' "$r/etc/passwd")
  gid=$(awk -F: '$1 == "autonomy-syncd" { print $3 }' "$r/etc/group")
  check "$l: uid and gid are system ids" test -n "$uid" -a -n "$gid" -a "${uid:-1000}" -lt 1000 -a "${gid:-1000}" -lt 1000
  check_eq "$l: one autonomy-syncd user" 1 "$(grep -c '^autonomy-syncd:' "$r/etc/passwd")"
  check "$l: token is 64 hex digits" grep -Eqx '[0-9a-f]{64}' "$r/etc/autonomy/syncd.token"
  check_eq "$l: token 0640 root:autonomy-syncd" "640 0 $gid" "$(perms "$r/etc/autonomy/syncd.token")"
  check_eq "$l: config 0640 root:autonomy-syncd" "640 0 $gid" "$(perms "$r/etc/autonomy/syncd.yaml")"
  check_eq "$l: /etc/autonomy 0750 root:autonomy-syncd" "750 0 $gid" "$(perms "$r/etc/autonomy")"
  check_eq "$l: state dir 0750 autonomy-syncd" "750 $uid $gid" "$(perms "$r/var/lib/autonomy-syncd")"
  check "$l: no temporary token left" test ! -e "$r/etc/autonomy/syncd.token.dpkg-new"
}

check "postinst configure (fresh install)" maint "$root" postinst configure ""
check_layout "$root" "after postinst"
out=$("$root/usr/sbin/autonomy-syncd" --check-config --config "$cfg" 2>&1)
rc=$?
check_eq "--check-config on the installed config: exit 0 ($out)" 0 "$rc"
check_has "--check-config: one listener, nothing configured" \
  "OK (1 listener(s), 0 schedule(s), 0 registries, 0 key(s))" "$out"

# Idempotent: an upgrade's configure keeps the token and the user.
token=$(cat "$root/etc/autonomy/syncd.token")
check "postinst configure again (upgrade from $version)" maint "$root" postinst configure "$version"
check_layout "$root" "after a second postinst"
check_eq "the token survives a second configure" "$token" "$(cat "$root/etc/autonomy/syncd.token")"
# An empty token file is never a valid token: configure writes one.
: >"$root/etc/autonomy/syncd.token"
check "postinst configure with an empty token file" maint "$root" postinst configure "$version"
check "an empty token is replaced" grep -Eqx '[0-9a-f]{64}' "$root/etc/autonomy/syncd.token"

# Following the config's own instructions (a key, the example schedule) still passes.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
  openssl pkey -pubout -out "$root/etc/autonomy/cosign.pub"
uncomment keys <"$root/etc/autonomy/syncd.yaml" | uncomment schedules >"$tmp/edited.yaml"
check_eq "edited config: the key path is rewritten too" 3 \
  "$(rooted_config "$root" "$tmp/edited.yaml" "$tmp/edited-rooted.yaml")"
check_eq "edited config: no other absolute path" "" "$(host_paths "$root" "$tmp/edited-rooted.yaml")"
out=$("$root/usr/sbin/autonomy-syncd" --check-config --config "$tmp/edited-rooted.yaml" 2>&1)
check_has "--check-config with the commented examples enabled" \
  "OK (1 listener(s), 1 schedule(s), 0 registries, 1 key(s))" "$out"

# Without systemd-tmpfiles, postinst sets the same owners and modes by hand.
root2=$tmp/root2
mkdir -p "$root2" "$tmp/path"
dpkg-deb -x "$deb" "$root2"
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    [ "$n" = systemd-tmpfiles ] || [ -e "$tmp/path/$n" ] || ln -s "$f" "$tmp/path/$n"
  done
done
check "PATH without systemd-tmpfiles" bash -c "! env PATH='$tmp/path' sh -c 'command -v systemd-tmpfiles'"
check "postinst configure without systemd-tmpfiles" env PATH="$tmp/path" DPKG_ROOT="$root2" \
  sh "$tmp/ctrl/postinst" configure ""
check_layout "$root2" "without systemd-tmpfiles"

# Remove, then purge, as dpkg runs them (dpkg deletes the package's files in between; the
# conffile goes at purge, before postrm purge).
check "prerm remove" maint "$root" prerm remove
(cd "$root" && grep -v '\./etc/' <<<"$expected_files" | awk '{ print $2 }' | xargs rm -f)
check "postrm remove" maint "$root" postrm remove
check "remove keeps the token" test -s "$root/etc/autonomy/syncd.token"
check "remove keeps the state dir" test -d "$root/var/lib/autonomy-syncd"
rm -f "$root/etc/autonomy/syncd.yaml"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -s /usr/lib/systemd/system/autonomy-syncd.service "$root/etc/systemd/system/multi-user.target.wants/"
check "postrm purge" maint "$root" postrm purge
check "purge removes the token" test ! -e "$root/etc/autonomy/syncd.token"
check "purge removes the state dir" test ! -e "$root/var/lib/autonomy-syncd"
check "purge removes the enabled symlink" test ! -L "$root/etc/systemd/system/multi-user.target.wants/autonomy-syncd.service"
check_eq "purge leaves the operator's files in /etc/autonomy" "cosign.pub" "$(ls -A "$root/etc/autonomy")"
check "postrm purge again" maint "$root" postrm purge
rm -f "$root/etc/autonomy/cosign.pub"
check "postrm purge with nothing left" maint "$root" postrm purge
check "purge removes an empty /etc/autonomy" test ! -e "$root/etc/autonomy"
check "purge keeps the user (Debian practice)" grep -q '^autonomy-syncd:' "$root/etc/passwd"

check_eq "the host's users and groups are untouched" "$host_accounts" "$(cat /etc/passwd /etc/group | md5sum)"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
