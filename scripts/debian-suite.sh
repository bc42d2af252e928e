# Sourced: apt-get and apt-cache for one Debian suite other than the
# machine's own (trixie, trixie-backports, sid...), through a private apt
# configuration, so nothing on the host changes. The archive is the one the
# machine's own apt sources name; its URI is reused, never written down.
#
#   suite_apt SUITE DIR   set apt_opts (an array) for SUITE, state in DIR
#   suite_update          write DIR/sources.list and apt-get update
#   apt-get "${apt_opts[@]}" download PKG...

# The URI of the machine's own Debian archive: the first deb entry whose
# suites name a Debian release (not -security), from deb822 .sources files
# or the one-line format.
archive_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
			function flush() {
				if (deb && uri != "" && suites ~ /(^| )[a-z]+( |-updates|$)/ && uri !~ /security/) {
					print uri; found = 1; exit
				}
				deb = 0; uri = ""; suites = ""
			}
			/^[[:space:]]*$/ { flush(); next }
			/^Types:/ { deb = ($0 ~ /(^|[ \t])deb([ \t]|$)/) }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { $1 = ""; suites = $0 }
			END { if (!found) flush() }
		' "$f"
	done | head -n 1 | grep . && return 0
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $0 !~ /security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit }
		}' | grep .
}

suite_apt() {
	suite_name=$1
	apt_dir=$2
	apt_opts=(
		-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache=$apt_dir/cache"
		-o Dir::Etc::Preferences=/nonexistent
		-o Dir::Etc::PreferencesParts=/nonexistent
		-o APT::Sandbox::User=root
		-o Acquire::Languages=none
		-o Debug::NoLocking=1
	)
}

suite_update() {
	local uri
	uri=$(archive_uri) || { echo "no Debian archive in /etc/apt/sources*" >&2; return 1; }
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$uri" "$suite_name" >"$apt_dir/sources.list"
	apt-get "${apt_opts[@]}" -q update >"$apt_dir/update.log" 2>&1 ||
		{ echo "apt-get update of $suite_name failed: $(tail -n 1 "$apt_dir/update.log")" >&2; return 1; }
}
