#!/bin/bash
# Man pages from the help text the programs print (help2man), plus the hand-written
# syncd.yaml(5):
#   packaging/make-man.sh BIN_DIR OUT_DIR   -> OUT_DIR/autonomy.1 autonomy-syncd.8 syncd.yaml.5
# autonomy.1 also holds the --help of every `autonomy registry` subcommand, so the page says
# what `autonomy registry sync --help` says.
set -euo pipefail
[ $# -eq 2 ] || {
  echo "usage: $0 BIN_DIR OUT_DIR" >&2
  exit 2
}
bin_dir=$1
out=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v help2man >/dev/null || {
  echo "make-man: help2man not found (apt-get install help2man, or make deps)" >&2
  exit 1
}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/autonomy-man.XXXXXX")
trap 'rm -rf "$work"' EXIT

# roff-safe verbatim text: backslashes doubled, leading dots and quotes escaped.
verbatim() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"; }

include=$work/autonomy.h2m
{
  echo "[COMMANDS]"
  for cmd in "registry sync" "registry seed" "registry seed-catalog" "registry sidecar" "registry jobs" \
    "registry schedules"; do
    # shellcheck disable=SC2086  # the words are the subcommand path
    echo ".SS \"autonomy $cmd\""
    echo ".nf"
    "$bin_dir/autonomy" $cmd --help | sed "s|$bin_dir/||g" | verbatim
    echo ".fi"
  done
  cat <<'H2M'
[EXIT STATUS]
0 every repo ok (copied or up-to-date); 1 one or more repos failed; 2 usage or configuration
error; 130 interrupted by SIGINT or SIGTERM (nothing incomplete is tagged).
[SEE ALSO]
.BR autonomy\-syncd (8),
.BR syncd.yaml (5),
.BR skopeo (1).
The full guide is /usr/share/doc/autonomy\-syncd/README.md.
H2M
} >"$include"
help2man --no-info --no-discard-stderr --section 1 --source autonomy-syncd \
  --name "replicate signed OCI images between edge registries" --include "$include" \
  --output "$out/autonomy.1" "$bin_dir/autonomy"

cat >"$work/syncd.h2m" <<'H2M'
[DESCRIPTION]
.B autonomy\-syncd
runs the sync engine of
.BR autonomy (1)
as a service: a REST control API (by default on 127.0.0.1:7480, bearer token) that accepts
sync jobs, per\-repo copy tasks with bounded concurrency, periodic re\-seeding from the
schedules in its configuration, and job state and catalogs kept on disk across restarts.
SIGHUP reloads the configuration; SIGTERM stops cleanly (running jobs resume at the next start).
[FILES]
.TP
.I /etc/autonomy/syncd.yaml
The configuration, see
.BR syncd.yaml (5).
.TP
.I /var/lib/autonomy\-syncd
The state directory.
[SEE ALSO]
.BR autonomy (1),
.BR syncd.yaml (5).
The full guide is /usr/share/doc/autonomy\-syncd/README.md.
H2M
help2man --no-info --no-discard-stderr --section 8 --source autonomy-syncd \
  --name "edge registry replication daemon with a REST API and schedules" --include "$work/syncd.h2m" \
  --output "$out/autonomy-syncd.8" "$bin_dir/autonomy-syncd"
sed -i "s|$bin_dir/||g" "$out/autonomy.1" "$out/autonomy-syncd.8"

install -m 0644 "$src/packaging/man/syncd.yaml.5" "$out/syncd.yaml.5"
